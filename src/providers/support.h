/*
 * support.h - what a built-in provider may use of pam_logoff: the
 * support object (include/logoff/provider.h) and these parts of
 * libsupport. Nothing here reaches the registry, the chain or the logoff
 * path (libcore): a provider that calls them fails to link in
 * tests/layers/.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef LO_PROVIDERS_SUPPORT_H
#define LO_PROVIDERS_SUPPORT_H

#include "logoff/provider.h"
#include "core/util.h"
#include "core/conf.h"
#include "core/proc.h"
#include "core/cgroup.h"
#include "core/release.h"
#include "core/spawn.h"
#include "core/support.h"

#endif /* LO_PROVIDERS_SUPPORT_H */
