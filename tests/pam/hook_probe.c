/*
 * hook_probe - installed as a hook by the tests (copied into a hook
 * directory, so it is the hook itself and no shell adds to what it saw).
 * It records exactly what it was started with, for the test to compare
 * with what pam_logoff(8) and logoff.conf(5) promise:
 *
 *   DIR/probe-$PAM_TYPE.env     its environment, as execve gave it
 *                               (/proc/self/environ: NUL-separated)
 *   DIR/probe-$PAM_TYPE.fds     "FD TARGET" for each open fd, the
 *                               directory stream used to list them left out
 *   DIR/probe-$PAM_TYPE.parent  the program of its parent (for a logoff hook,
 *                               logoff-helper), then that process's environment
 *                               as execve gave it, NUL-separated
 *   DIR/probe-$PAM_TYPE.status  the Uid, Gid, Groups, Cap..., NoNewPrivs, SigBlk and
 *                               SigIgn lines of
 *                               /proc/self/status, then "umask NNNN",
 *                               "cwd PATH", "sid-leader 0|1"
 *
 * DIR is the "out" directory next to the hook directory it runs from
 * (/proc/self/exe is HOOKDIR/NAME, so DIR is HOOKDIR/../out). Exits 0.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static FILE *out_file(const char *dir, const char *type, const char *ext)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/probe-%s.%s", dir, type, ext);
	return fopen(path, "we");
}

int main(void)
{
	char exe[PATH_MAX], dir[PATH_MAX], buf[4096], link[PATH_MAX];
	const char *type = getenv("PAM_TYPE");
	DIR *d;
	struct dirent *de;
	FILE *in, *out;
	ssize_t n;
	mode_t mask;
	char *slash;
	int fd;

	/* The fds first, before this program opens anything of its own. */
	d = opendir("/proc/self/fd");
	if (!d)
		return 1;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return 1;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	*slash = '\0';
	slash = strrchr(exe, '/');
	*slash = '\0';
	snprintf(dir, sizeof(dir), "%s/out", exe);
	if (!type || strchr(type, '/'))
		type = "unknown";

	out = out_file(dir, type, "fds");
	if (!out)
		return 1;
	while ((de = readdir(d))) {
		char p[64];

		if (de->d_name[0] == '.')
			continue;
		fd = atoi(de->d_name);
		if (fd == dirfd(d) || fd == fileno(out))
			continue;
		snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
		n = readlink(p, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = '\0';
		fprintf(out, "%d %s\n", fd, link);
	}
	closedir(d);
	fclose(out);

	in = fopen("/proc/self/environ", "re");
	out = out_file(dir, type, "env");
	if (!in || !out)
		return 1;
	while ((n = (ssize_t)fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, (size_t)n, out);
	fclose(in);
	fclose(out);

	{
		char p[64];

		snprintf(p, sizeof(p), "/proc/%d/exe", (int)getppid());
		n = readlink(p, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = '\0';
		snprintf(p, sizeof(p), "/proc/%d/environ", (int)getppid());
		/* Unreadable when the hook runs as the user: then only the
		 * (empty) name is written. */
		in = fopen(p, "re");
		out = out_file(dir, type, "parent");
		if (!out)
			return 1;
		fprintf(out, "%s\n", link);
		while (in && (n = (ssize_t)fread(buf, 1, sizeof(buf), in)) > 0)
			fwrite(buf, 1, (size_t)n, out);
		if (in)
			fclose(in);
		fclose(out);
	}

	in = fopen("/proc/self/status", "re");
	out = out_file(dir, type, "status");
	if (!in || !out)
		return 1;
	while (fgets(buf, sizeof(buf), in))
		if (strncmp(buf, "Uid:", 4) == 0 || strncmp(buf, "Gid:", 4) == 0 ||
		    strncmp(buf, "Groups:", 7) == 0 || strncmp(buf, "Cap", 3) == 0 ||
		    strncmp(buf, "NoNewPrivs:", 11) == 0 || strncmp(buf, "SigBlk:", 7) == 0 ||
		    strncmp(buf, "SigIgn:", 7) == 0)
			fputs(buf, out);
	fclose(in);
	mask = umask(0);
	fprintf(out, "umask %04o\n", (unsigned)mask);
	fprintf(out, "cwd %s\n", getcwd(link, sizeof(link)) ? link : "?");
	fprintf(out, "sid-leader %d\n", getsid(0) == getpid());
	fclose(out);
	return 0;
}
