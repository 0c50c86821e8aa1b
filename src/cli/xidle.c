/*
 * xidle.c - the idle time of a graphical session: its X server's own
 * count of the time since the last input event (the MIT-SCREEN-SAVER
 * extension, XScreenSaverQueryInfo's "idle", as xprintidle and screen
 * lockers read it). Output drawn on the screen is not input.
 *
 * libX11 and libXss are loaded with dlopen in a child that has become
 * the session's user (lo_spawn with RUN_AS_USER): the X server is the
 * user's program and its replies are the user's to forge, so they are
 * parsed with the user's rights only, and the X authority file the user
 * names is opened as the user. Only `logoff` (its views and the limits
 * sweep) does this; the PAM module never loads X libraries.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cli/cli.h"
#include "core/spawn.h"
#include "core/util.h"

/* From X11/extensions/scrnsaver.h (libXss 1.2, a stable ABI): declared
 * here so that building logoff needs no X headers. */
struct xss_info {
	unsigned long window;
	int state;
	int kind;
	unsigned long til_or_since;
	unsigned long idle;	/* milliseconds since the last input event */
	unsigned long event_mask;
};

struct x_query {
	const char *display;
	const char *xauthority;
	const char *home;
};

/* In the child, as the user: one line "idle MS" or "error TEXT". */
static int x_idle_child(void *arg)
{
	const struct x_query *q = arg;
	void *(*open_display)(const char *);
	unsigned long (*root_window)(void *);
	int (*close_display)(void *);
	int (*query_extension)(void *, int *, int *);
	struct xss_info *(*alloc_info)(void);
	int (*query_info)(void *, unsigned long, struct xss_info *);
	void *x11, *xss, *dpy;
	struct xss_info *info;
	int ev, er;

	/* The child _exits: nothing buffered would reach the pipe. */
	setvbuf(stdout, NULL, _IONBF, 0);
	/* Nothing of the caller's environment reaches libX11: only the
	 * session's X authority (or the user's ~/.Xauthority). */
	clearenv();
	if (q->xauthority)
		setenv("XAUTHORITY", q->xauthority, 1);
	if (q->home)
		setenv("HOME", q->home, 1);
	x11 = dlopen("libX11.so.6", RTLD_NOW | RTLD_LOCAL);
	xss = x11 ? dlopen("libXss.so.1", RTLD_NOW | RTLD_LOCAL) : NULL;
	if (!xss) {
		printf("error cannot load libX11 and libXss (Debian: libxss1)\n");
		return 2;
	}
	*(void **)&open_display = dlsym(x11, "XOpenDisplay");
	*(void **)&root_window = dlsym(x11, "XDefaultRootWindow");
	*(void **)&close_display = dlsym(x11, "XCloseDisplay");
	*(void **)&query_extension = dlsym(xss, "XScreenSaverQueryExtension");
	*(void **)&alloc_info = dlsym(xss, "XScreenSaverAllocInfo");
	*(void **)&query_info = dlsym(xss, "XScreenSaverQueryInfo");
	if (!open_display || !root_window || !close_display || !query_extension || !alloc_info ||
	    !query_info) {
		printf("error libX11 or libXss lacks a function\n");
		return 2;
	}
	dpy = open_display(q->display);
	if (!dpy) {
		printf("error cannot open display %s\n", q->display);
		return 1;
	}
	info = alloc_info();
	if (!query_extension(dpy, &ev, &er) || !info || !query_info(dpy, root_window(dpy), info)) {
		printf("error display %s has no MIT-SCREEN-SAVER\n", q->display);
		return 1;
	}
	printf("idle %lu\n", info->idle);
	close_display(dpy);
	return 0;
}

struct x_answer {
	bool got;
	unsigned long long ms;
	char error[128];
};

static void x_line(void *ctx, const char *line)
{
	struct x_answer *a = ctx;
	char *end;

	if (strncmp(line, "idle ", 5) == 0) {
		errno = 0;
		a->ms = strtoull(line + 5, &end, 10);
		a->got = errno == 0 && end != line + 5 && *end == '\0';
	} else if (strncmp(line, "error ", 6) == 0) {
		lo_text_safe(a->error, sizeof(a->error), line + 6);
	}
}

int lo_cli_x_idle(const char *display, const char *xauthority, const char *user, uid_t uid,
		  gid_t gid, const char *home, long *ret_seconds, char *err, size_t err_size)
{
	struct x_query q = { .display = display, .xauthority = xauthority, .home = home };
	struct lo_spawn sp = { .cwd = "/", .capture = true, .fn = x_idle_child, .arg = &q,
			       .run_as_user = true, .user = user, .uid = uid, .gid = gid };
	struct x_answer ans = { .got = false };
	int status = -1, r;

	if (err && err_size)
		err[0] = '\0';
	if (!lo_cli_display_local(display) || uid == 0)
		return -EINVAL;
	r = lo_spawn_run(&sp, lo_now_ms() + LO_CLI_X_IDLE_MS, 200, x_line, &ans, &status);
	if (r < 0 || !ans.got) {
		if (err && err_size && (r == -ETIMEDOUT || ans.error[0]))
			snprintf(err, err_size, "%s", r == -ETIMEDOUT ? "no answer in time" : ans.error);
		else if (err && err_size)
			snprintf(err, err_size, "no answer (%s %d)", r < 0 ? "error" :
				 WIFEXITED(status) ? "exit" : "signal", r < 0 ? -r :
				 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return r < 0 ? r : -EIO;
	}
	*ret_seconds = (long)(ans.ms / 1000);
	return 0;
}
