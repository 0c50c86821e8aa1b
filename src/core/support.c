/*
 * support.c - what the chain tells a built-in provider beyond the
 * support object of the ABI: whether it runs in the login manager's
 * process, and by when its logoff must end.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include "chain_impl.h"

bool lo_support_in_process(const struct logoff_support *s)
{
	return ((const struct support_impl *)s)->chain->ctx->in_process;
}

int64_t lo_support_deadline_ms(const struct logoff_support *s)
{
	const struct support_impl *si = (const struct support_impl *)s;

	return si->bound_ms ? si->bound_ms : si->chain->ctx->deadline_ms;
}

