/*
 * limits.h - session time limits: durations, the [limits] sections of
 * logoff.conf, the effective limits of one user, the decision the sweep
 * (`logoff --limits`) takes for one session, and the per-session warning
 * state it keeps between runs.
 *
 * The model is Windows Remote Desktop Services' session time limits
 * (MaxIdleTime, MaxConnectionTime, MaxDisconnectionTime, with "end
 * session when time limits are reached" and a two-minute warning during
 * which input keeps an idle session) and logind's StopIdleSessionSec
 * (logind.conf(5)), which ends idle sessions without a warning. Here a
 * limit is reached, the user is warned for [limits] warn, and only then is
 * the session logged off (or disconnected) through the one logoff path.
 *
 * Every time is in seconds: durations as uint64_t, points in time as
 * time_t (the realtime clock, as record "created" and a terminal's atime
 * are). Nothing here reads a clock: the caller passes "now", so every
 * transition can be tested with a clock the test sets.
 * Conventions: see util.h.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef LO_CORE_LIMITS_H
#define LO_CORE_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "logoff/provider.h"

/* The longest duration accepted: 100 years of seconds. Anything longer is
 * -ERANGE, so a limit added to a time_t can never overflow. */
#define LO_DURATION_MAX (100ULL * 366 * 86400)
/* A formatted duration ("1d2h30min15s") always fits. */
#define LO_DURATION_STR_MAX 40
/* The default of [limits] warn, seconds: Windows' two minutes. */
#define LO_LIMITS_WARN_DEFAULT 120

/*
 * Parse a duration S: plain seconds ("900"), or one or more terms of a
 * number and a unit, optionally separated by white space ("15min",
 * "1h30min", "1h 30min"); units s, sec (seconds), m, min (minutes), h
 * (hours), d (days), as systemd.time(7) spells them. "" and "0" (or "0s")
 * mean no limit: *RET 0. A bare number is accepted only alone: "1h30" is
 * refused, not read as 1h30s.
 * Returns 0 and *RET in seconds; -EINVAL for anything else (a sign, a
 * fraction, an unknown unit, junk, a term without a number); -ERANGE when
 * the total is above LO_DURATION_MAX. *RET is untouched on error: nothing
 * is silently truncated.
 */
int lo_parse_duration(const char *s, uint64_t *ret);

/*
 * SECONDS written the way lo_parse_duration reads it back, largest units
 * first, zero terms left out: 900 "15min", 5400 "1h30min", 45 "45s",
 * 0 "0". BUF must hold LO_DURATION_STR_MAX bytes. Returns BUF.
 */
char *lo_format_duration(uint64_t seconds, char *buf, size_t size);

/* What happens when a limit is reached: [limits] action. */
enum lo_limit_action {
	LO_LIMIT_ACTION_LOGOFF = 0,	/* log the session off (default) */
	LO_LIMIT_ACTION_DISCONNECT,	/* graphical sessions: end the client's connection */
};

/* The allowed values of [limits] action, NULL-terminated, in the order of
 * enum lo_limit_action. */
extern const char *const lo_limit_action_names[];

/* Which limit a warning or an action is for. */
enum lo_limit_kind {
	LO_LIMIT_NONE = 0,
	LO_LIMIT_IDLE,		/* no input on any terminal (MaxIdleTime, StopIdleSessionSec) */
	LO_LIMIT_DISCONNECTED,	/* no client attached (MaxDisconnectionTime) */
	LO_LIMIT_ACTIVE,	/* the session's age (MaxConnectionTime) */
};

/* "idle", "disconnected", "active" ("" for LO_LIMIT_NONE): the key of
 * the limit and the first word of its reason. */
const char *lo_limit_kind_name(enum lo_limit_kind kind);

/* Bits of struct lo_limits.set: the keys a section gave. */
#define LO_LIMIT_SET_IDLE 0x1u
#define LO_LIMIT_SET_DISCONNECTED 0x2u
#define LO_LIMIT_SET_ACTIVE 0x4u
#define LO_LIMIT_SET_WARN 0x8u
#define LO_LIMIT_SET_ACTION 0x10u

/* The limits of one section, or the effective limits of one session. */
struct lo_limits {
	uint64_t idle;		/* seconds; 0: no limit */
	uint64_t disconnected;	/* seconds; 0: no limit */
	uint64_t active;	/* seconds; 0: no limit */
	uint64_t warn;		/* seconds of warning before the action; 0: none */
	enum lo_limit_action action;
	unsigned set;		/* LO_LIMIT_SET_*: keys given in this section */
};

/* A [limits.user.NAME] or [limits.group.NAME] section. */
struct lo_limits_override {
	bool group;		/* [limits.group.NAME], else [limits.user.NAME] */
	char *name;
	struct lo_limits limits;
};

/* [limits] and its overrides, as logoff.conf and its drop-ins gave them
 * (part of struct lo_config: config->limits). */
struct lo_limits_config {
	struct lo_limits base;		/* [limits]; warn LO_LIMITS_WARN_DEFAULT unless set */
	char *exempt_users;		/* LOGOFF_CONFIG_LIST, NULL: none */
	char *exempt_groups;		/* LOGOFF_CONFIG_LIST, NULL: none */
	struct lo_limits_override *overrides;	/* in the order first met */
	size_t n_overrides;
};

/* The keys of [limits] (exempt_users and exempt_groups included) and of
 * the override sections (without them), for the parser and the
 * documentation test (tests/docs/dump_keys). */
extern const struct logoff_config_key lo_limits_config_keys[];
extern const struct logoff_config_key lo_limits_override_keys[];

/*
 * Whether SECTION is one of the limits sections: "limits" (*RET_KIND 0),
 * "limits.user.NAME" (1) or "limits.group.NAME" (2), NAME 1..64 bytes
 * without white space, '/' or control characters, in *RET_NAME (points
 * into SECTION; NULL for [limits]).
 */
bool lo_limits_section(const char *section, int *ret_kind, const char **ret_name);

/*
 * Set KEY = VALUE of limits section SECTION (as lo_limits_section accepts
 * it) in LC, creating the override on first use; a later value wins.
 * Returns 0; -EINVAL with *RET_WHY (static text naming what is expected,
 * the allowed values for action) for a bad value or a key the section
 * does not take; -ERANGE (with *RET_WHY) for a duration too long; -ENOMEM.
 */
int lo_limits_config_set(struct lo_limits_config *lc, const char *section, const char *key,
			 const char *value, const char **ret_why);

/* True when LC sets any limit at all (idle, disconnected or active in
 * [limits] or in an override): without one, the sweep has nothing to do. */
bool lo_limits_any(const struct lo_limits_config *lc);

/* Free what LC holds (not LC itself, which is embedded); NULL is fine. */
void lo_limits_config_clear(struct lo_limits_config *lc);

/*
 * The limits that apply to USER, a member of the groups GROUPS (N_GROUPS
 * names, primary first), under LC, key by key: [limits], then the first
 * [limits.group.NAME] (in the order the sections were first met) whose
 * NAME is one of GROUPS, then [limits.user.USER]; each sets only the keys
 * it gives. *RET_EXEMPT is true when USER is in exempt_users or one of
 * GROUPS in exempt_groups (then *RET is all zero: no limit acts).
 * Pure: no NSS lookup; the caller resolves the groups.
 */
void lo_limits_effective(const struct lo_limits_config *lc, const char *user,
			 const char *const *groups, size_t n_groups, struct lo_limits *ret,
			 bool *ret_exempt);

/* What the sweep knows of one session, at NOW. */
struct lo_limits_input {
	time_t now;
	time_t logon;			/* when the session was opened (record created) */
	long idle;			/* seconds since the last input; -1: unknown */
	time_t disconnected_since;	/* when its client left; 0: attached or unknown */
	time_t warned_at;		/* when the user was warned; 0: not warned */
	enum lo_limit_kind warned_for;	/* the limit of that warning */
	time_t warned_input;		/* the last input as seen at the warning; 0: unknown */
};

enum lo_limits_verdict {
	LO_LIMITS_NOTHING = 0,	/* no limit due: .at is when the next acts (0: none) */
	LO_LIMITS_WARN,		/* warn now: .kind acts in .left seconds (at .at) */
	LO_LIMITS_WAIT,		/* warned, the warning period runs until .at */
	LO_LIMITS_CANCEL,	/* warned, but the limit no longer holds (input came) */
	LO_LIMITS_ACT,		/* act now: .action for .kind, .reason */
};

struct lo_limits_decision {
	enum lo_limits_verdict verdict;
	enum lo_limit_kind kind;	/* the limit concerned; NONE with NOTHING and no limit */
	enum lo_limit_action action;
	time_t at;			/* when it acts (NOTHING, WARN, WAIT), 0: never */
	long left;			/* seconds from now to .at, 0 when not after now */
	char reason[64];		/* "idle limit 15min", "active limit 8h" */
};

/*
 * Decide for a session with effective limits L (lo_limits_effective) and
 * what IN says of it. A limit is reached at:
 *   idle          now - idle + L->idle (never while idle is -1: a session
 *                 whose input cannot be measured is never ended for
 *                 idleness);
 *   disconnected  disconnected_since + L->disconnected;
 *   active        logon + L->active (even while input goes on).
 * Not warned: when the earliest one is at most L->warn away, WARN (or,
 * with no warn, ACT once it is reached); else NOTHING with its time.
 * Warned for a limit: CANCEL when it no longer holds (idle: the last
 * input is later than warned_input, the one seen when warning, or, that
 * unknown, not before warned_at: terminal times have whole seconds, and
 * a key pressed in the second of the warning must keep the session;
 * disconnected: a client attached again; any: its limit was removed from
 * the config); else ACT once it is reached and warn seconds
 * have passed since warned_at (the user always gets the whole warning, as
 * Windows' two minutes), else WAIT. Active never cancels.
 * The action is L->action, except for the disconnected limit, which
 * always logs off: a session without a client cannot be disconnected
 * (Windows' MaxDisconnectionTime ends the session).
 * Returns 0 with *RET filled, or -EINVAL for a NULL argument or a now
 * before warned_at (a clock that went back: the caller should warn anew).
 */
int lo_limits_decide(const struct lo_limits *l, const struct lo_limits_input *in,
		     struct lo_limits_decision *ret);

/* The warning state of one session, kept between sweeps. */
struct lo_limits_state {
	time_t warned_at;
	enum lo_limit_kind warned_for;
	time_t input_at;	/* the last input seen when warned; 0: unknown */
};

/*
 * The state of session ID in the directory DIRFD (the registry's
 * "limits" directory, root's, 0700), one file per session named by its
 * id (ID must be lo_id_valid), "warned T KIND INPUT\n" (INPUT the
 * state's input_at, 0 when unknown).
 * lo_limits_state_read: opened with O_NOFOLLOW; a file that is not a
 * regular file with one link, owned by the effective uid and closed to
 * group and others, or that does not parse, is refused: -EPERM (not
 * ours) or -EBADMSG (not ours to read), and the caller treats the
 * session as not warned. -ENOENT: no state (not warned). -EINVAL: a bad
 * ID.
 * lo_limits_state_write: written to a temporary file (O_EXCL,
 * O_NOFOLLOW, 0600) and renamed over ID, so a reader sees the old or the
 * new state. Returns 0 or a negative errno.
 * lo_limits_state_remove: unlinks ID (never follows it). 0 or -ENOENT
 * or another negative errno.
 */
int lo_limits_state_read(int dirfd, const char *id, struct lo_limits_state *ret);
int lo_limits_state_write(int dirfd, const char *id, const struct lo_limits_state *state);
int lo_limits_state_remove(int dirfd, const char *id);

#endif /* LO_CORE_LIMITS_H */
