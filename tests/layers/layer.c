/*
 * layer.c - an empty object, so that tests/layers/providers.la and
 * tests/layers/core.la are nothing but the convenience libraries they
 * link, whole, with every symbol resolved (Makefile.am, "libraries").
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
int lo_layer_check;
