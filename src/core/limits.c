/*
 * limits.c - durations, the [limits] sections, effective limits and the
 * sweep's decision for one session; see limits.h.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"
#include "core/limits.h"

const char *const lo_limit_action_names[] = { "logoff", "disconnect", NULL };

const struct logoff_config_key lo_limits_config_keys[] = {
	{ "idle", LOGOFF_CONFIG_STRING, "0", NULL },
	{ "disconnected", LOGOFF_CONFIG_STRING, "0", NULL },
	{ "active", LOGOFF_CONFIG_STRING, "0", NULL },
	{ "warn", LOGOFF_CONFIG_STRING, "2min", NULL },
	{ "action", LOGOFF_CONFIG_STRING, "logoff", lo_limit_action_names },
	{ "exempt_users", LOGOFF_CONFIG_LIST, "", NULL },
	{ "exempt_groups", LOGOFF_CONFIG_LIST, "", NULL },
	{ NULL, 0, NULL, NULL },
};

/* The override sections take the same keys but the exemptions. */
const struct logoff_config_key lo_limits_override_keys[] = {
	{ "idle", LOGOFF_CONFIG_STRING, NULL, NULL },
	{ "disconnected", LOGOFF_CONFIG_STRING, NULL, NULL },
	{ "active", LOGOFF_CONFIG_STRING, NULL, NULL },
	{ "warn", LOGOFF_CONFIG_STRING, NULL, NULL },
	{ "action", LOGOFF_CONFIG_STRING, NULL, lo_limit_action_names },
	{ NULL, 0, NULL, NULL },
};

static const struct {
	const char *name;
	uint64_t seconds;
} units[] = {
	/* Longest spelling first: "min" before "m", "sec" before "s". */
	{ "sec", 1 }, { "min", 60 }, { "s", 1 }, { "m", 60 }, { "h", 3600 }, { "d", 86400 },
};

int lo_parse_duration(const char *s, uint64_t *ret)
{
	uint64_t total = 0;
	const char *p;

	if (!s || !ret)
		return -EINVAL;
	p = s + strspn(s, " \t");
	if (*p == '\0') {
		*ret = 0;
		return 0;
	}
	/* Plain seconds: digits only, and nothing else. */
	if (isdigit((unsigned char)*p) &&
	    p[strspn(p, "0123456789") + strspn(p + strspn(p, "0123456789"), " \t")] == '\0') {
		while (isdigit((unsigned char)*p)) {
			total = total * 10 + (uint64_t)(*p++ - '0');
			if (total > LO_DURATION_MAX)
				return -ERANGE;
		}
		*ret = total;
		return 0;
	}
	while (*p) {
		uint64_t n = 0, mult = 0;
		size_t ulen = 0;

		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		while (isdigit((unsigned char)*p)) {
			n = n * 10 + (uint64_t)(*p++ - '0');
			if (n > LO_DURATION_MAX)
				return -ERANGE;
		}
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t len = strlen(units[i].name);
			if (strncmp(p, units[i].name, len) == 0 && !isalpha((unsigned char)p[len])) {
				mult = units[i].seconds;
				ulen = len;
				break;
			}
		}
		if (mult == 0)
			return -EINVAL;	/* a term without a unit, or an unknown one */
		p += ulen;
		if (n > (LO_DURATION_MAX - total) / mult)
			return -ERANGE;
		total += n * mult;
		p += strspn(p, " \t");
	}
	*ret = total;
	return 0;
}

char *lo_format_duration(uint64_t seconds, char *buf, size_t size)
{
	static const struct {
		const char *name;
		uint64_t seconds;
	} parts[] = { { "d", 86400 }, { "h", 3600 }, { "min", 60 }, { "s", 1 } };
	size_t len = 0;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (seconds == 0) {
		snprintf(buf, size, "0");
		return buf;
	}
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]) && len < size; i++) {
		uint64_t n = seconds / parts[i].seconds;
		int w;

		if (n == 0)
			continue;
		seconds -= n * parts[i].seconds;
		w = snprintf(buf + len, size - len, "%llu%s", (unsigned long long)n, parts[i].name);
		if (w < 0)
			break;
		len += (size_t)w;
	}
	return buf;
}

const char *lo_limit_kind_name(enum lo_limit_kind kind)
{
	switch (kind) {
	case LO_LIMIT_IDLE:
		return "idle";
	case LO_LIMIT_DISCONNECTED:
		return "disconnected";
	case LO_LIMIT_ACTIVE:
		return "active";
	default:
		return "";
	}
}

/* An override's NAME: what a user or group name may be, loosely (NSS
 * names come from LDAP too), but never white space, '/', ']' or a control
 * character. */
static bool override_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 64)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c <= 0x20 || c == 0x7f || c == '/' || c == ']' || c == '[')
			return false;
	}
	return true;
}

bool lo_limits_section(const char *section, int *ret_kind, const char **ret_name)
{
	int kind = -1;
	const char *name = NULL;

	if (strcmp(section, "limits") == 0) {
		kind = 0;
	} else if (strncmp(section, "limits.user.", 12) == 0) {
		kind = 1;
		name = section + 12;
	} else if (strncmp(section, "limits.group.", 13) == 0) {
		kind = 2;
		name = section + 13;
	}
	if (kind < 0 || (name && !override_name_valid(name)))
		return false;
	if (ret_kind)
		*ret_kind = kind;
	if (ret_name)
		*ret_name = name;
	return true;
}

static struct lo_limits *override_for(struct lo_limits_config *lc, bool group, const char *name)
{
	struct lo_limits_override *o;

	for (size_t i = 0; i < lc->n_overrides; i++)
		if (lc->overrides[i].group == group && strcmp(lc->overrides[i].name, name) == 0)
			return &lc->overrides[i].limits;
	o = realloc(lc->overrides, (lc->n_overrides + 1) * sizeof(*o));
	if (!o)
		return NULL;
	lc->overrides = o;
	o = &lc->overrides[lc->n_overrides];
	memset(o, 0, sizeof(*o));
	o->group = group;
	o->name = strdup(name);
	if (!o->name)
		return NULL;
	lc->n_overrides++;
	return &o->limits;
}

static int set_list(char **field, const char *value)
{
	char *v = strdup(value);

	if (!v)
		return -ENOMEM;
	free(*field);
	*field = v;
	return 0;
}

int lo_limits_config_set(struct lo_limits_config *lc, const char *section, const char *key,
			 const char *value, const char **ret_why)
{
	static const struct {
		const char *key;
		unsigned bit;
		size_t off;
	} durations[] = {
		{ "idle", LO_LIMIT_SET_IDLE, offsetof(struct lo_limits, idle) },
		{ "disconnected", LO_LIMIT_SET_DISCONNECTED, offsetof(struct lo_limits, disconnected) },
		{ "active", LO_LIMIT_SET_ACTIVE, offsetof(struct lo_limits, active) },
		{ "warn", LO_LIMIT_SET_WARN, offsetof(struct lo_limits, warn) },
	};
	struct lo_limits *l;
	const char *name;
	int kind;

	*ret_why = "not a limits section";
	if (!lo_limits_section(section, &kind, &name))
		return -EINVAL;
	if (kind == 0 && strcmp(key, "exempt_users") == 0)
		return set_list(&lc->exempt_users, value);
	if (kind == 0 && strcmp(key, "exempt_groups") == 0)
		return set_list(&lc->exempt_groups, value);
	/* Check the value before an override is made for it. */
	for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		uint64_t v;
		int r;

		if (strcmp(key, durations[i].key) != 0)
			continue;
		r = lo_parse_duration(value, &v);
		if (r == -ERANGE)
			*ret_why = "duration too long (at most 100 years)";
		else if (r < 0)
			*ret_why = "expected a duration: seconds, or terms like 15min, 2h, 1h30min "
				   "(units s, sec, m, min, h, d); 0 or empty for none";
		if (r < 0)
			return r;
		l = kind == 0 ? &lc->base : override_for(lc, kind == 2, name);
		if (!l)
			return -ENOMEM;
		*(uint64_t *)((char *)l + durations[i].off) = v;
		l->set |= durations[i].bit;
		return 0;
	}
	if (strcmp(key, "action") == 0) {
		for (size_t i = 0; lo_limit_action_names[i]; i++) {
			if (strcmp(value, lo_limit_action_names[i]) != 0)
				continue;
			l = kind == 0 ? &lc->base : override_for(lc, kind == 2, name);
			if (!l)
				return -ENOMEM;
			l->action = (enum lo_limit_action)i;
			l->set |= LO_LIMIT_SET_ACTION;
			return 0;
		}
		*ret_why = "not one of the allowed values: logoff, disconnect";
		return -EINVAL;
	}
	*ret_why = "not a key of this section";
	return -EINVAL;
}

bool lo_limits_any(const struct lo_limits_config *lc)
{
	if (lc->base.idle || lc->base.disconnected || lc->base.active)
		return true;
	for (size_t i = 0; i < lc->n_overrides; i++) {
		const struct lo_limits *o = &lc->overrides[i].limits;
		if (o->idle || o->disconnected || o->active)
			return true;
	}
	return false;
}

void lo_limits_config_clear(struct lo_limits_config *lc)
{
	if (!lc)
		return;
	free(lc->exempt_users);
	free(lc->exempt_groups);
	for (size_t i = 0; i < lc->n_overrides; i++)
		free(lc->overrides[i].name);
	free(lc->overrides);
	memset(lc, 0, sizeof(*lc));
	lc->base.warn = LO_LIMITS_WARN_DEFAULT;
}

/* The keys O gives, over L. */
static void apply(struct lo_limits *l, const struct lo_limits *o)
{
	if (o->set & LO_LIMIT_SET_IDLE)
		l->idle = o->idle;
	if (o->set & LO_LIMIT_SET_DISCONNECTED)
		l->disconnected = o->disconnected;
	if (o->set & LO_LIMIT_SET_ACTIVE)
		l->active = o->active;
	if (o->set & LO_LIMIT_SET_WARN)
		l->warn = o->warn;
	if (o->set & LO_LIMIT_SET_ACTION)
		l->action = o->action;
}

void lo_limits_effective(const struct lo_limits_config *lc, const char *user,
			 const char *const *groups, size_t n_groups, struct lo_limits *ret,
			 bool *ret_exempt)
{
	bool exempt = lo_list_contains(lc->exempt_users, user);

	for (size_t g = 0; !exempt && g < n_groups; g++)
		exempt = lo_list_contains(lc->exempt_groups, groups[g]);
	memset(ret, 0, sizeof(*ret));
	*ret_exempt = exempt;
	if (exempt)
		return;
	*ret = lc->base;
	ret->set = 0;
	/* The first group section in config order that names one of the
	 * user's groups, whatever the order of the groups themselves. */
	for (size_t i = 0; i < lc->n_overrides; i++) {
		bool member = false;

		if (!lc->overrides[i].group)
			continue;
		for (size_t g = 0; g < n_groups && !member; g++)
			member = strcmp(groups[g], lc->overrides[i].name) == 0;
		if (member) {
			apply(ret, &lc->overrides[i].limits);
			break;
		}
	}
	for (size_t i = 0; i < lc->n_overrides; i++)
		if (!lc->overrides[i].group && strcmp(lc->overrides[i].name, user) == 0) {
			apply(ret, &lc->overrides[i].limits);
			break;
		}
}

/* When limit KIND is reached for IN under L, or 0 when it never is. */
static time_t reached_at(const struct lo_limits *l, const struct lo_limits_input *in,
			 enum lo_limit_kind kind)
{
	switch (kind) {
	case LO_LIMIT_IDLE:
		if (l->idle == 0 || in->idle < 0)
			return 0;
		return in->now - (time_t)in->idle + (time_t)l->idle;
	case LO_LIMIT_DISCONNECTED:
		if (l->disconnected == 0 || in->disconnected_since <= 0)
			return 0;
		return in->disconnected_since + (time_t)l->disconnected;
	case LO_LIMIT_ACTIVE:
		if (l->active == 0)
			return 0;
		return in->logon + (time_t)l->active;
	default:
		return 0;
	}
}

/* Whether the limit that IN was warned for still holds. */
static bool still_holds(const struct lo_limits *l, const struct lo_limits_input *in)
{
	switch (in->warned_for) {
	case LO_LIMIT_IDLE:
		/* Input after the warning: the last input is later than the
		 * one seen when warning. An idle time that can no longer be measured cancels too:
		 * never end a session for an idleness not seen. */
		if (l->idle == 0 || in->idle < 0)
			return false;
		if (in->warned_input > 0)
			return in->now - (time_t)in->idle <= in->warned_input;
		return in->now - (time_t)in->idle < in->warned_at;
	case LO_LIMIT_DISCONNECTED:
		return l->disconnected != 0 && in->disconnected_since > 0 &&
		       in->disconnected_since <= in->warned_at;
	case LO_LIMIT_ACTIVE:
		return l->active != 0;
	default:
		return false;
	}
}

static void set_reason(const struct lo_limits *l, enum lo_limit_kind kind,
		       struct lo_limits_decision *d)
{
	char dur[LO_DURATION_STR_MAX];
	uint64_t v = kind == LO_LIMIT_IDLE ? l->idle :
		     kind == LO_LIMIT_DISCONNECTED ? l->disconnected : l->active;

	snprintf(d->reason, sizeof(d->reason), "%s limit %s", lo_limit_kind_name(kind),
		 lo_format_duration(v, dur, sizeof(dur)));
}

static void set_at(struct lo_limits_decision *d, time_t at, time_t now)
{
	d->at = at;
	d->left = at > now ? (long)(at - now) : 0;
}

int lo_limits_decide(const struct lo_limits *l, const struct lo_limits_input *in,
		     struct lo_limits_decision *ret)
{
	static const enum lo_limit_kind kinds[] = { LO_LIMIT_ACTIVE, LO_LIMIT_IDLE,
						    LO_LIMIT_DISCONNECTED };
	enum lo_limit_kind first = LO_LIMIT_NONE;
	time_t first_at = 0;

	if (!l || !in || !ret)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	ret->action = l->action;
	if (in->warned_at > 0 && in->warned_for != LO_LIMIT_NONE) {
		time_t at, end;

		if (in->now < in->warned_at)
			return -EINVAL;
		ret->kind = in->warned_for;
		if (ret->kind == LO_LIMIT_DISCONNECTED)
			ret->action = LO_LIMIT_ACTION_LOGOFF;
		set_reason(l, in->warned_for, ret);
		if (!still_holds(l, in)) {
			ret->verdict = LO_LIMITS_CANCEL;
			return 0;
		}
		at = reached_at(l, in, in->warned_for);
		end = in->warned_at + (time_t)l->warn;
		if (end > at)
			at = end;
		set_at(ret, at, in->now);
		ret->verdict = in->now >= at ? LO_LIMITS_ACT : LO_LIMITS_WAIT;
		return 0;
	}
	/* The earliest limit; on a tie active first: it never cancels. */
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		time_t at = reached_at(l, in, kinds[i]);
		if (at > 0 && (first == LO_LIMIT_NONE || at < first_at)) {
			first = kinds[i];
			first_at = at;
		}
	}
	ret->kind = first;
	if (first == LO_LIMIT_NONE) {
		ret->verdict = LO_LIMITS_NOTHING;
		return 0;
	}
	set_reason(l, first, ret);
	if (first == LO_LIMIT_DISCONNECTED)
		ret->action = LO_LIMIT_ACTION_LOGOFF;
	if (l->warn == 0 && in->now >= first_at) {
		set_at(ret, first_at, in->now);
		ret->verdict = LO_LIMITS_ACT;
		return 0;
	}
	if (l->warn > 0 && in->now >= first_at - (time_t)l->warn) {
		/* Acts warn seconds from now: at the limit when warned on
		 * time, later when the sweep came late, so the user always
		 * gets the whole warning. */
		set_at(ret, in->now + (time_t)l->warn, in->now);
		ret->verdict = LO_LIMITS_WARN;
		return 0;
	}
	set_at(ret, first_at, in->now);
	ret->verdict = LO_LIMITS_NOTHING;
	return 0;
}
