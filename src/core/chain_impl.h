/*
 * chain_impl.h - the chain's private state, shared by chain.c and the
 * support functions of the built-in providers (support.c). Nothing else
 * includes it.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef LO_CHAIN_IMPL_H
#define LO_CHAIN_IMPL_H

#include "core/util.h"
#include "core/conf.h"
#include "core/registry.h"
#include "core/proc.h"
#include "core/release.h"
#include "core/support.h"
#include "core/chain.h"

struct chain;

struct support_impl {
	struct logoff_support pub;	/* first: providers see only this */
	struct chain *chain;
	const struct logoff_provider *provider;	/* NULL: not known here */
	unsigned flags;				/* its entry's LO_PROVIDER_* */
	const char *name;
	size_t status_index;
	int refs;
	/* CLOCK_MONOTONIC ms by which its logoff must end (lo_chain_logoff),
	 * 0: none but the chain's. */
	int64_t bound_ms;
};

struct chain {
	const struct lo_ctx *ctx;
	struct lo_record *rec;
	struct logoff_identity identity;
	struct support_impl sup[LO_MAX_PROVIDERS];
	size_t n;
	int refs;		/* sum of the providers' references */
	bool logon;		/* PAM environment reachable */
	bool finished;		/* record deleted or kept as failed */
	bool isolated;		/* in a plugin's forked child: references are the parent's */
	bool timed_out;		/* a provider stopped at its bound or ctx->deadline_ms */
	bool busy;		/* a provider could not show its release complete (-EBUSY) */
	int finish_result;
	/* Names put into the PAM environment, unset again on rollback. */
	char *env_names[16];
	size_t n_env;
};

#endif
