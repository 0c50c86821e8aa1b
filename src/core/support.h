/*
 * support.h - what a built-in provider may ask of its support object
 * beyond include/logoff/provider.h.
 * Conventions: see util.h.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef LO_CORE_SUPPORT_H
#define LO_CORE_SUPPORT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "logoff/provider.h"
#include "core/util.h"

/* For the built-in providers, whose support objects the chain made: the
 * chain's ctx->in_process and ctx->deadline_ms (0: no deadline). */
bool lo_support_in_process(const struct logoff_support *s);
int64_t lo_support_deadline_ms(const struct logoff_support *s);

#endif /* LO_CORE_SUPPORT_H */
