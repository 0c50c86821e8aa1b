/*
 * dump_keys - print every config key the parser accepts, one
 * "SECTION KEY" a line: [logoff], [limits] and each built-in provider's
 * declared keys. tests/docs/config_keys.sh checks each is documented in
 * logoff.conf(5).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "config.h"

#include <stdio.h>

#include "core/conf.h"
#include "providers/providers.h"

int main(void)
{
	for (size_t i = 0; lo_core_config_keys[i].name; i++)
		printf("logoff %s\n", lo_core_config_keys[i].name);
	for (size_t i = 0; lo_limits_config_keys[i].name; i++)
		printf("limits %s\n", lo_limits_config_keys[i].name);
	for (size_t p = 0; lo_builtin_providers[p].provider; p++) {
		const struct logoff_config_key *k = lo_builtin_providers[p].provider->config_keys;
		for (size_t i = 0; k && k[i].name; i++)
			printf("%s %s\n", lo_builtin_providers[p].provider->name, k[i].name);
	}
	return 0;
}
