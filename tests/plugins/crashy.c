/*
 * crashy.c - a test plugin whose logoff dies of SIGSEGV (or abort with
 * [crashy] how = abort), or hangs in it (how = hang, with a child in its
 * process group that hangs too): the other providers must still log off,
 * the login manager must survive, and a hang must not outlive the
 * [logoff] timeout.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <signal.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <logoff/provider.h>

static const char *const how_choices[] = { "segv", "abort", "hang", NULL };
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
	if (strcmp(s->config(s, "how"), "hang") == 0) {
		if (fork() == 0)
			for (;;)
				pause();
		for (;;)
			pause();
	}
	raise(SIGSEGV);
	return 0;
}

__attribute__((visibility("default"))) const struct logoff_provider logoff_provider = {
	LOGOFF_ABI_VERSION, "crashy", crashy_logon, crashy_logoff, keys,
};
