/*
 * sample.c - a complete plugin provider for pam_logoff, and the example
 * of man/logoff-provider.3.
 *
 * At logon it creates a file for the session, <dir>/sample-<session id>
 * ([sample] dir in logoff.conf, default /tmp), owned by the user, tracks
 * it as a path subobject before creating it, keeps its name with
 * set_data and exports it as SAMPLE_FILE. At logoff it removes the file
 * and untracks it. Anything it fails to untrack the core releases.
 *
 * Build:  cc -shared -fPIC -o sample.so sample.c $(pkg-config --cflags logoff-provider)
 * Install: $(pkg-config --variable=plugindir logoff-provider)/sample.so,
 * e.g. /usr/lib/x86_64-linux-gnu/logoff/providers/sample.so on Debian
 * (root-owned, mode 0644),
 * then name it in [logoff] providers.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <logoff/provider.h>

#define EXPORT __attribute__((visibility("default")))

static const struct logoff_config_key sample_keys[] = {
	{ "dir", LOGOFF_CONFIG_PATH, "/tmp", NULL },
	{ NULL, 0, NULL, NULL },
};

static int sample_logon(struct logoff_support *s, unsigned int flags)
{
	const struct logoff_identity *id = s->identity;
	char path[4096];
	int fd, r;

	if (flags != 0)
		return -EINVAL;
	if ((size_t)snprintf(path, sizeof(path), "%s/sample-%s", s->config(s, "dir"),
			     id->session_id) >= sizeof(path))
		return -ENAMETOOLONG;
	/* Tracked before it exists: a crash right after the open still
	 * leaves a record of it, and the core removes it. */
	r = s->track(s, LOGOFF_SUBOBJECT_PATH, path);
	if (r < 0)
		return r;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		s->untrack(s, LOGOFF_SUBOBJECT_PATH, path);
		return r;
	}
	if (s->privileged && fchown(fd, id->uid, id->gid) < 0)
		s->log(s, LOG_WARNING, "cannot give %s to %s: %m", path, id->user);
	dprintf(fd, "session %s of %s\n", id->session_id, id->user);
	close(fd);
	s->set_data(s, "file", path);
	/* The ABI is 1.0: every member used here exists; a member added in
	 * a later minor version would be checked against s->abi_version and
	 * for NULL before use. */
	if (s->putenv(s, "SAMPLE_FILE", path) < 0)
		s->log(s, LOG_WARNING, "cannot export SAMPLE_FILE");
	s->set_status(s, "created %s", path);
	return 0;
}

static int sample_logoff(struct logoff_support *s, unsigned int flags)
{
	const char *value;
	int kind;

	if (flags != 0)
		return -EINVAL;
	/* Index 0 each time: untrack removes the one just released. */
	while (s->subobject(s, 0, &kind, &value) == 0) {
		char path[4096];

		snprintf(path, sizeof(path), "%s", value);
		if (kind == LOGOFF_SUBOBJECT_PATH && unlink(path) < 0 && errno != ENOENT) {
			int r = -errno;
			s->set_status(s, "cannot remove %s: %s", path, strerror(-r));
			return r;
		}
		s->untrack(s, kind, path);
		s->set_status(s, "removed %s", path);
	}
	return 0;
}

EXPORT const struct logoff_provider logoff_provider = {
	.abi_version = LOGOFF_ABI_VERSION,
	.name = "sample",
	.logon = sample_logon,
	.logoff = sample_logoff,
	.config_keys = sample_keys,
};
