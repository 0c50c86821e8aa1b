/*
 * fuzz.h - what the libFuzzer harnesses share: an assertion that reports
 * the broken property and aborts, so libFuzzer keeps the input that broke
 * it as a crash-* reproducer.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef LO_FUZZ_H
#define LO_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_ASSERT(cond)                                                                  \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: property broken: %s\n", __FILE__, __LINE__,  \
				#cond);                                                    \
			abort();                                                           \
		}                                                                          \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
