/*
 * fuzz_config.c - libFuzzer harness of the logoff.conf parser: the input
 * is one logoff.conf, parsed with lo_config_parse_buffer (the parser
 * lo_config_load runs on each file, then the same checks of plugins and
 * required), with the built-in providers and plugins allowed.
 *
 * Properties checked beyond "no crash, no sanitizer report":
 *  - a refused file comes with a message and no config;
 *  - an accepted one holds what logoff.conf(5) promises: absolute
 *    registry and plugin_dir, a timeout of 1..86400 and gc_interval of
 *    0..86400 seconds, at most LO_MAX_PROVIDERS distinct providers, each
 *    a non-empty word, every required provider among them, and every value
 *    of a built-in provider's section of its declared type.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "core/conf.h"
#include "providers/providers.h"
#include "fuzz.h"

static void assert_word(const char *w)
{
	FUZZ_ASSERT(w && w[0] && strcspn(w, " \t,") == strlen(w));
}

static void assert_typed(const struct logoff_config_key *k, const char *v)
{
	unsigned u;
	bool b;

	FUZZ_ASSERT(v != NULL);
	switch (k->type) {
	case LOGOFF_CONFIG_SECONDS:
		FUZZ_ASSERT(lo_parse_seconds(v, &u) == 0 && u <= 86400);
		break;
	case LOGOFF_CONFIG_BOOL:
		FUZZ_ASSERT(lo_parse_bool(v, &b) == 0);
		break;
	case LOGOFF_CONFIG_PATH:
		FUZZ_ASSERT(v[0] == '/');
		break;
	case LOGOFF_CONFIG_STRING:
		if (k->choices) {
			size_t i;
			for (i = 0; k->choices[i]; i++)
				if (strcmp(v, k->choices[i]) == 0)
					break;
			FUZZ_ASSERT(k->choices[i] != NULL);
		}
		break;
	default:
		break;
	}
}

static void assert_config(const struct lo_config *c)
{
	FUZZ_ASSERT(c->registry && c->registry[0] == '/');
	FUZZ_ASSERT(c->plugin_dir && c->plugin_dir[0] == '/');
	FUZZ_ASSERT(c->protected_ttys != NULL);
	FUZZ_ASSERT(c->timeout >= 1 && c->timeout <= 86400 && c->gc_interval <= 86400);
	FUZZ_ASSERT(c->n_providers <= LO_MAX_PROVIDERS && c->n_required <= LO_MAX_PROVIDERS);
	for (size_t i = 0; i < c->n_providers; i++) {
		assert_word(c->providers[i]);
		for (size_t j = 0; j < i; j++)
			FUZZ_ASSERT(strcmp(c->providers[i], c->providers[j]) != 0);
	}
	for (size_t i = 0; i < c->n_required; i++) {
		bool found = false;
		assert_word(c->required[i]);
		for (size_t j = 0; j < c->n_providers; j++)
			found |= strcmp(c->required[i], c->providers[j]) == 0;
		FUZZ_ASSERT(found);
	}
	for (size_t i = 0; lo_builtin_providers[i].provider; i++) {
		const struct logoff_provider *p = lo_builtin_providers[i].provider;
		for (size_t k = 0; p->config_keys && p->config_keys[k].name; k++)
			assert_typed(&p->config_keys[k],
				     lo_config_value(c, p->name, p->config_keys[k].name));
	}
	for (size_t i = 0; i < c->n_entries; i++) {
		const struct lo_config_entry *e = &c->entries[i];
		FUZZ_ASSERT(e->section && e->key && e->value);
		/* Plugin sections are kept unchecked (logoff-helper checks
		 * them); built-in ones must name a declared key. */
		const struct lo_provider_entry *pe = lo_provider_find(lo_builtin_providers,
								      e->section);
		const struct logoff_provider *p = pe ? pe->provider : NULL;
		if (p) {
			size_t k;
			for (k = 0; p->config_keys && p->config_keys[k].name; k++)
				if (strcmp(p->config_keys[k].name, e->key) == 0)
					break;
			FUZZ_ASSERT(p->config_keys && p->config_keys[k].name);
		} else {
			FUZZ_ASSERT(strcmp(e->section, "logoff") != 0);
			FUZZ_ASSERT(lo_plugin_name_valid(e->section));
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lo_config *c = NULL;
	char *error = NULL;
	int r;

	r = lo_config_parse_buffer((const char *)data, size, "/fuzz/logoff.conf",
				   lo_builtin_providers, &c, &error);
	if (r < 0) {
		FUZZ_ASSERT(c == NULL && error != NULL);
		FUZZ_ASSERT(r == -EINVAL || r == -E2BIG || r == -ENOMEM);
		free(error);
		return 0;
	}
	FUZZ_ASSERT(r == 0 && c != NULL && error == NULL);
	assert_config(c);
	lo_config_free(c);
	return 0;
}
