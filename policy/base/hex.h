/* SPDX-License-Identifier: MIT */
/*
 * hex.h — bytes as lowercase hexadecimal text: digests, HMAC signatures and
 * tokens, written the one way every reader of runwarden expects.
 *
 * Invariants: the output is exactly two lowercase digits per byte, most
 * significant nibble first ("0a", never "a" or "0A"), then a NUL; nothing is
 * allocated and the output never depends on the locale.
 */
#ifndef RW_HEX_H
#define RW_HEX_H

#include <stddef.h>

/** The size of the text for @p n bytes, terminator included. */
#define HEX_SIZE(n) (2 * (n) + 1)

/**
 * Writes @p len bytes of @p data as 2 * @p len lowercase hex digits and a NUL.
 *
 * @param data  the bytes (may be NULL when @p len is 0).
 * @param len   how many bytes.
 * @param out   receives the text; must hold HEX_SIZE(@p len) bytes.
 */
void hex_encode(const void *data, size_t len, char *out);

#endif
