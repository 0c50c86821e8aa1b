/*
 * check_keyring.c - the core's keyring releaser: it revokes a session's
 * keyring from a process that does not possess it, never a key that a
 * reused serial now names (another user's keyring, or a key of another
 * type), and the chain uses it for a keyring a provider left tracked.
 *
 * The cases that hand keys to other uids need root; the rest run as anyone.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <keyutils.h>
#include <signal.h>
#include <sys/fsuid.h>
#include <sys/wait.h>

#include "testutil.h"

/* Owners of the test keys: uids without a passwd entry, which the kernel
 * does not need. */
#define SESSION_UID 4242
#define OTHER_UID 4343

/* The provider's keyring permissions (src/providers/keyring.c). */
#define SESSION_PERM (KEY_POS_ALL | KEY_USR_VIEW | KEY_USR_READ | KEY_USR_WRITE | KEY_USR_SETATTR)
#define EVERYONE_ALL (KEY_POS_ALL | KEY_USR_ALL | KEY_GRP_ALL | KEY_OTH_ALL)

static struct lo_log logger;

static void setup(void)
{
	tu_setup();
	logger = tu_logger();
}

/*
 * A keyring that only another process possesses: a child joins a new
 * session keyring, adds a user key to it, gives the keyring PERM and
 * OWNER, reports both serials and whether it could read its key, then
 * waits; at finish it reads its key again and reports the errno (0: read).
 */
struct holder {
	pid_t pid;
	int to_child, from_child;
	key_serial_t keyring, key;
	int read_before;
	char value[16];
};

static void hold_keyring(struct holder *h, uid_t owner, key_perm_t perm)
{
	int down[2], up[2];

	ck_assert_int_eq(pipe(down), 0);
	ck_assert_int_eq(pipe(up), 0);
	h->pid = fork();
	ck_assert_int_ge(h->pid, 0);
	if (h->pid == 0) {
		key_serial_t msg[3] = { -1, -1, -1 };
		void *buf = NULL;
		char c;
		int err;

		close(down[1]);
		close(up[0]);
		msg[0] = keyctl_join_session_keyring(NULL);
		msg[1] = add_key("user", "secret", "s3cret", 6, msg[0]);
		msg[2] = keyctl_read_alloc(msg[1], &buf) == 6 ? 0 : errno;
		free(buf);
		if (keyctl_setperm(msg[0], perm) < 0 || keyctl_chown(msg[0], owner, owner) < 0)
			msg[0] = -errno;
		if (write(up[1], msg, sizeof(msg)) != sizeof(msg) || read(down[0], &c, 1) != 1)
			_exit(1);
		buf = NULL;
		err = keyctl_read_alloc(msg[1], &buf) == 6 ? 0 : errno;
		free(buf);
		if (write(up[1], &err, sizeof(err)) != sizeof(err))
			_exit(1);
		_exit(0);
	}
	close(down[0]);
	close(up[1]);
	h->to_child = down[1];
	h->from_child = up[0];
	{
		key_serial_t msg[3];
		ck_assert_int_eq(read(h->from_child, msg, sizeof(msg)), sizeof(msg));
		ck_assert_msg(msg[0] > 0 && msg[1] > 0, "holder: keyring %d, key %d", msg[0], msg[1]);
		h->keyring = msg[0];
		h->key = msg[1];
		h->read_before = msg[2];
	}
	snprintf(h->value, sizeof(h->value), "%d", (int)h->keyring);
}

/* The child's errno reading its key now (0: it could). */
static int holder_finish(struct holder *h)
{
	int err = -1, status;

	ck_assert_int_eq(write(h->to_child, "x", 1), 1);
	ck_assert_int_eq(read(h->from_child, &err, sizeof(err)), sizeof(err));
	close(h->to_child);
	close(h->from_child);
	ck_assert_int_eq(waitpid(h->pid, &status, 0), h->pid);
	return err;
}

/* errno of keyctl_describe on SERIAL, 0 when it works. */
static int describe_errno(key_serial_t serial)
{
	char *desc = NULL;
	int r = keyctl_describe_alloc(serial, &desc) < 0 ? errno : 0;

	free(desc);
	return r;
}

static uid_t fsuid_now(void)
{
	return (uid_t)setfsuid((uid_t)-1);
}

/* ------------------------------------------------------------ anyone */

START_TEST(test_bad_values)
{
	const char *bad[] = { "", "abc", "-5", "+5", " 5", "0", "12x", "4294967296", "2147483648" };
	int32_t serial;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(lo_keyring_serial(bad[i], &serial), -EINVAL);
		ck_assert_int_eq(lo_release_keyring(bad[i], getuid(), &logger), -EINVAL);
	}
	ck_assert_int_eq(lo_release_keyring(NULL, getuid(), &logger), -EINVAL);
	ck_assert_int_eq(lo_keyring_serial("2147483647", &serial), 0);
	ck_assert_int_eq(serial, 2147483647);
}
END_TEST

START_TEST(test_own_keyring_revoked_and_gone)
{
	key_serial_t ses, k;
	char value[16];

	ses = keyctl_join_session_keyring(NULL);
	ck_assert_int_gt(ses, 0);
	k = add_key("keyring", "mine", NULL, 0, ses);
	ck_assert_int_gt(k, 0);
	snprintf(value, sizeof(value), "%d", (int)k);
	ck_assert_int_eq(lo_release_keyring(value, geteuid(), &logger), 0);
	ck_assert_int_eq(describe_errno(k), EKEYREVOKED);
	/* Revoked already: nothing left to do, and that is success. */
	ck_assert_int_eq(lo_release_keyring(value, geteuid(), &logger), 1);
	ck_assert_int_eq(lo_release_subobject(LOGOFF_SUBOBJECT_KEYRING, value, geteuid(), &logger),
			 0);
}
END_TEST

START_TEST(test_missing_serial_is_gone)
{
	char value[16];
	int32_t serial = 0x7ffffff0;

	/* A serial nothing has: ENOKEY (another user's key says EACCES). */
	while (describe_errno(serial) != ENOKEY)
		serial--;
	snprintf(value, sizeof(value), "%d", (int)serial);
	ck_assert_int_eq(lo_release_keyring(value, geteuid(), &logger), 1);
}
END_TEST

START_TEST(test_other_uid_needs_root)
{
	if (geteuid() == 0)
		return;
	ck_assert_int_eq(lo_release_keyring("12345", geteuid() + 1, &logger), -EPERM);
	ck_assert_int_eq(fsuid_now(), geteuid());
}
END_TEST

/* -------------------------------------------------------------- root */

START_TEST(test_revoked_from_process_that_does_not_possess_it)
{
	struct holder h;

	hold_keyring(&h, SESSION_UID, SESSION_PERM);
	ck_assert_int_eq(h.read_before, 0);
	/* Root without possession may not even view the user's keyring: the
	 * releaser has to act as the user. */
	ck_assert_int_eq(describe_errno(h.keyring), EACCES);
	ck_assert_int_eq(lo_release_subobject(LOGOFF_SUBOBJECT_KEYRING, h.value, SESSION_UID,
					      &logger), 0);
	ck_assert_int_eq(fsuid_now(), 0);
	ck_assert_int_eq(describe_errno(h.keyring), EKEYREVOKED);
	/* The session's process can no longer reach its key. */
	ck_assert_int_ne(holder_finish(&h), 0);
	ck_assert_int_eq(lo_release_keyring(h.value, SESSION_UID, &logger), 1);
}
END_TEST

START_TEST(test_foreign_keyring_left_alone)
{
	struct holder h;

	/* A keyring of another user that anyone may revoke: only the owner
	 * check stands between the session's uid and it. */
	hold_keyring(&h, OTHER_UID, EVERYONE_ALL);
	ck_assert_int_eq(lo_release_keyring(h.value, SESSION_UID, &logger), 1);
	ck_assert_int_eq(fsuid_now(), 0);
	ck_assert_int_eq(describe_errno(h.keyring), 0);
	ck_assert_msg(strstr(tu_log, "left alone"), "%s", tu_log);
	ck_assert_int_eq(lo_release_subobject(LOGOFF_SUBOBJECT_KEYRING, h.value, SESSION_UID,
					      &logger), 0);
	ck_assert_int_eq(describe_errno(h.keyring), 0);
	ck_assert_int_eq(holder_finish(&h), 0);
}
END_TEST

START_TEST(test_foreign_unviewable_keyring_left_alone)
{
	struct holder h;

	/* Another user's private keyring: the session's uid cannot even
	 * view it, so it is not the session's. */
	hold_keyring(&h, OTHER_UID, SESSION_PERM);
	ck_assert_int_eq(lo_release_keyring(h.value, SESSION_UID, &logger), 1);
	ck_assert_int_eq(holder_finish(&h), 0);
}
END_TEST

START_TEST(test_key_of_other_type_left_alone)
{
	key_serial_t ses, k;
	char value[16];
	void *buf = NULL;

	/* A user key of the session's uid, revocable by anyone who possesses
	 * it, as this process does: only the type check keeps it. */
	ses = keyctl_join_session_keyring(NULL);
	ck_assert_int_gt(ses, 0);
	k = add_key("user", "not-a-keyring", "data", 4, ses);
	ck_assert_int_gt(k, 0);
	ck_assert_int_eq(keyctl_setperm(k, EVERYONE_ALL), 0);
	ck_assert_int_eq(keyctl_chown(k, SESSION_UID, SESSION_UID), 0);
	snprintf(value, sizeof(value), "%d", (int)k);
	ck_assert_int_eq(lo_release_keyring(value, SESSION_UID, &logger), 1);
	ck_assert_int_eq(keyctl_read_alloc(k, &buf), 4);
	free(buf);
	ck_assert_msg(strstr(tu_log, "is now a user of uid 4242"), "%s", tu_log);
}
END_TEST

START_TEST(test_owner_without_write_fails)
{
	struct holder h;

	/* The session took write and setattr away from its own keyring: the
	 * owner may not revoke it, and root may not either. */
	hold_keyring(&h, SESSION_UID, KEY_POS_ALL | KEY_USR_VIEW);
	ck_assert_int_eq(lo_release_keyring(h.value, SESSION_UID, &logger), -EACCES);
	ck_assert_int_eq(fsuid_now(), 0);
	ck_assert_int_eq(holder_finish(&h), 0);
}
END_TEST

/* A provider that tracks a held keyring and forgets to release it. */
static char leak_value[16];

static int keyleak_logon(struct logoff_support *s, unsigned f)
{
	return s->track(s, LOGOFF_SUBOBJECT_KEYRING, leak_value);
}
static int keyleak_logoff(struct logoff_support *s, unsigned f)
{
	return 0;
}
static const struct logoff_provider p_keyleak = { LOGOFF_ABI_VERSION, "keyleak", keyleak_logon,
						  keyleak_logoff, NULL };
static const struct lo_provider_entry table[] = { { .provider = &p_keyleak }, { .provider = NULL } };

static const char *record_of(const char *id)
{
	static char path[1024];

	snprintf(path, sizeof(path), "%s/%s", tu_path("reg/sessions"), id);
	return path;
}

START_TEST(test_chain_revokes_leftover)
{
	struct lo_ctx ctx = tu_ctx("[logoff]\nproviders = keyleak\n", table);
	struct lo_login login = { .user = "keyuser", .service = "check", .tty = "pts/9",
				  .rhost = "", .uid = SESSION_UID, .gid = SESSION_UID,
				  .home = "/", .leader_pid = getpid() };
	char id[LO_ID_MAX + 1];
	struct holder h;

	hold_keyring(&h, SESSION_UID, SESSION_PERM);
	memcpy(leak_value, h.value, sizeof(leak_value));
	ck_assert_int_eq(lo_chain_logon(&ctx, &login, id), 0);
	ck_assert_int_eq(describe_errno(h.keyring), EACCES);
	ck_assert_int_eq(lo_chain_logoff(&ctx, id, 0), 0);
	ck_assert_msg(strstr(tu_log, "keyleak: left subobject"), "%s", tu_log);
	ck_assert_int_eq(describe_errno(h.keyring), EKEYREVOKED);
	ck_assert(!tu_exists(record_of(id)));
	ck_assert_int_ne(holder_finish(&h), 0);
}
END_TEST

static Suite *keyring_suite(void)
{
	Suite *s = suite_create("keyring");
	TCase *tc = tcase_create("anyone");

	tcase_add_checked_fixture(tc, setup, tu_teardown);
	tcase_add_test(tc, test_bad_values);
	tcase_add_test(tc, test_own_keyring_revoked_and_gone);
	tcase_add_test(tc, test_missing_serial_is_gone);
	tcase_add_test(tc, test_other_uid_needs_root);
	suite_add_tcase(s, tc);
	if (geteuid() != 0) {
		fprintf(stderr, "check_keyring: not root, the cases with other uids' keys are "
			"skipped\n");
		return s;
	}
	tc = tcase_create("root");
	tcase_add_checked_fixture(tc, setup, tu_teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_revoked_from_process_that_does_not_possess_it);
	tcase_add_test(tc, test_foreign_keyring_left_alone);
	tcase_add_test(tc, test_foreign_unviewable_keyring_left_alone);
	tcase_add_test(tc, test_key_of_other_type_left_alone);
	tcase_add_test(tc, test_owner_without_write_fails);
	suite_add_tcase(s, tc);
	tc = tcase_create("chain");
	tcase_add_checked_fixture(tc, tu_reg_setup, tu_reg_teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_chain_revokes_leftover);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(keyring_suite)
