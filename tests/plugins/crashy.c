/*
 * crashy.c - a test plugin whose logoff dies of SIGSEGV (or abort with
 * [crashy] how = abort): the other providers must still log off and the
 * login manager must survive.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <logoff/provider.h>

static const char *const how_choices[] = { "segv", "abort", NULL };
static const struct logoff_config_key keys[] = {
	{ "how", LOGOFF_CONFIG_STRING, "segv", how_choices },
	{ NULL, 0, NULL, NULL },
};

static int crashy_logon(struct logoff_support *s, unsigned int flags)
{
	s->set_status(s, "will crash at logoff");
	return 0;
}

static int crashy_logoff(struct logoff_support *s, unsigned int flags)
{
	if (strcmp(s->config(s, "how"), "abort") == 0)
		abort();
	raise(SIGSEGV);
	return 0;
}

__attribute__((visibility("default"))) const struct logoff_provider logoff_provider = {
	LOGOFF_ABI_VERSION, "crashy", crashy_logon, crashy_logoff, keys,
};
