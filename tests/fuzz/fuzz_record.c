/*
 * fuzz_record.c - libFuzzer harness of the session record parser
 * (lo_record_parse, what lo_record_read runs on a record's text).
 *
 * Properties checked beyond "no crash, no sanitizer report":
 *  - a refused record says why and returns no record;
 *  - a record that parses has a valid id and name, a user, and states
 *    and kinds in range;
 *  - it serialises (lo_record_format) into text that parses again into
 *    the same record, and whose serialisation is the same text: the
 *    format is a fixed point after one round.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "core/registry.h"
#include "fuzz.h"

static int str_eq(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* The facts a record keeps, compared one by one. */
static void assert_same(const struct lo_record *a, const struct lo_record *b)
{
	FUZZ_ASSERT(strcmp(a->id, b->id) == 0);
	FUZZ_ASSERT(str_eq(a->user, b->user) && str_eq(a->home, b->home));
	FUZZ_ASSERT(str_eq(a->service, b->service) && str_eq(a->tty, b->tty));
	FUZZ_ASSERT(str_eq(a->rhost, b->rhost) && str_eq(a->name, b->name));
	FUZZ_ASSERT(a->uid == b->uid && a->gid == b->gid);
	FUZZ_ASSERT(a->leader_pid == b->leader_pid && a->leader_start == b->leader_start);
	FUZZ_ASSERT(a->audit == b->audit && a->created == b->created && a->state == b->state);
	FUZZ_ASSERT(a->closer_pid == b->closer_pid);
	FUZZ_ASSERT(a->closer_pid == 0 || a->closer_start == b->closer_start);
	FUZZ_ASSERT(a->n_status == b->n_status && a->n_sub == b->n_sub && a->n_data == b->n_data);
	for (size_t i = 0; i < a->n_status; i++) {
		const struct lo_status *x = &a->status[i], *y = &b->status[i];
		FUZZ_ASSERT(strcmp(x->name, y->name) == 0 && x->state == y->state);
		FUZZ_ASSERT(x->result == y->result && x->faults == y->faults);
		FUZZ_ASSERT(x->since == y->since && strcmp(x->message, y->message) == 0);
	}
	for (size_t i = 0; i < a->n_sub; i++) {
		FUZZ_ASSERT(a->sub[i].kind == b->sub[i].kind);
		FUZZ_ASSERT(strcmp(a->sub[i].provider, b->sub[i].provider) == 0);
		FUZZ_ASSERT(strcmp(a->sub[i].value, b->sub[i].value) == 0);
	}
	for (size_t i = 0; i < a->n_data; i++) {
		FUZZ_ASSERT(strcmp(a->data[i].provider, b->data[i].provider) == 0);
		FUZZ_ASSERT(strcmp(a->data[i].key, b->data[i].key) == 0);
		FUZZ_ASSERT(strcmp(a->data[i].value, b->data[i].value) == 0);
	}
}

static void assert_sane(const struct lo_record *r)
{
	FUZZ_ASSERT(lo_id_valid(r->id));
	FUZZ_ASSERT(r->name && lo_session_name_valid(r->name));
	FUZZ_ASSERT(r->user && r->home && r->service && r->tty && r->rhost);
	FUZZ_ASSERT(r->state >= LO_SESSION_OPENING && r->state <= LO_SESSION_TIMED_OUT);
	FUZZ_ASSERT(r->closer_pid >= 0 && r->leader_pid >= 0);
	for (size_t i = 0; i < r->n_status; i++) {
		FUZZ_ASSERT(r->status[i].name && r->status[i].name[0]);
		FUZZ_ASSERT(r->status[i].state >= LO_PROVIDER_PENDING &&
			    r->status[i].state <= LO_PROVIDER_ABANDONED);
		FUZZ_ASSERT(r->status[i].result <= 0);
		FUZZ_ASSERT(strlen(r->status[i].message) < sizeof(r->status[i].message));
	}
	for (size_t i = 0; i < r->n_sub; i++) {
		FUZZ_ASSERT(r->sub[i].kind >= LOGOFF_SUBOBJECT_PROCESS &&
			    r->sub[i].kind <= LOGOFF_SUBOBJECT_MOUNT);
		FUZZ_ASSERT(r->sub[i].value && r->sub[i].value[0]);
	}
	for (size_t i = 0; i < r->n_data; i++)
		FUZZ_ASSERT(r->data[i].provider[0] && r->data[i].key[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lo_record *a = NULL, *b = NULL;
	const char *why = NULL;
	char *text1, *text2;
	int r;

	r = lo_record_parse((const char *)data, size, &a, &why);
	if (r < 0) {
		FUZZ_ASSERT(a == NULL && why != NULL);
		FUZZ_ASSERT(r == -EBADMSG || r == -EPROTO || r == -ENOMEM);
		return 0;
	}
	FUZZ_ASSERT(r == 0 && a != NULL);
	assert_sane(a);

	text1 = lo_record_format(a);
	FUZZ_ASSERT(text1 != NULL);
	r = lo_record_parse(text1, strlen(text1), &b, &why);
	if (r < 0)
		fprintf(stderr, "a parsed record's own text is refused (%s):\n%s", why, text1);
	FUZZ_ASSERT(r == 0);
	assert_same(a, b);
	text2 = lo_record_format(b);
	FUZZ_ASSERT(text2 != NULL && strcmp(text1, text2) == 0);

	free(text1);
	free(text2);
	lo_record_free(a);
	lo_record_free(b);
	return 0;
}
