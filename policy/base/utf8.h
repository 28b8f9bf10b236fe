/* SPDX-License-Identifier: MIT */
/*
 * utf8.h — reading UTF-8 one character at a time, strictly: the policy
 * scanner, the maintenance reason check and the JSON string writer agree on
 * what is well-formed because they all ask here.
 *
 * Well-formed is RFC 3629 (Unicode's table 3-7): no overlong form, no
 * surrogate (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence,
 * no stray continuation byte.
 */
#ifndef RW_UTF8_H
#define RW_UTF8_H

#include <stddef.h>
#include <stdint.h>

/**
 * Decodes the character at @p p.
 *
 * @param p     the bytes (at least one readable when @p left > 0).
 * @param left  how many bytes may be read from @p p.
 * @param cp    receives the code point on success; may be NULL.
 * @return the length of the well-formed sequence at @p p (1..4), or 0 when
 *         @p left is 0 or the bytes at @p p are not well-formed UTF-8.
 */
size_t utf8_decode(const void *p, size_t left, uint32_t *cp);

#endif
