/*
 * leaky.c - a test plugin that creates a directory at logon, tracks it,
 * and forgets to release and untrack it at logoff: the core must remove
 * it and count the fault in the status object.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include <logoff/provider.h>

static const struct logoff_config_key keys[] = {
	{ "dir", LOGOFF_CONFIG_PATH, "/tmp", NULL },
	{ NULL, 0, NULL, NULL },
};

static int leaky_logon(struct logoff_support *s, unsigned int flags)
{
	char path[4096];
	int r;

	snprintf(path, sizeof(path), "%s/leaky-%s", s->config(s, "dir"), s->identity->session_id);
	r = s->track(s, LOGOFF_SUBOBJECT_PATH, path);
	if (r < 0)
		return r;
	if (mkdir(path, 0700) < 0)
		return -errno;
	s->set_status(s, "made %s", path);
	return 0;
}

static int leaky_logoff(struct logoff_support *s, unsigned int flags)
{
	return 0;	/* forgets its subobject */
}

__attribute__((visibility("default"))) const struct logoff_provider logoff_provider = {
	LOGOFF_ABI_VERSION, "leaky", leaky_logon, leaky_logoff, keys,
};
