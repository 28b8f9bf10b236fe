/* SPDX-License-Identifier: MIT */
/*
 * json_scan.h — positions in the raw text of a JSON policy file, for error
 * messages: the line of a syntax error, and the line of a value found by its
 * path.
 *
 * Why this exists. DESIGN.md forbids a JSON parser of our own, and this is
 * not one: cJSON remains the parser, and nothing here builds a value, decodes
 * a string or converts a number. But cJSON 1.7.15 falls short for messages:
 * it keeps no positions in its tree, and cJSON_GetErrorPtr() is global state
 * that points where cJSON stopped, which is not always where the error is
 * and never gives a line. It would also stop at a NUL byte, pass invalid
 * UTF-8 through, and it reads at most 63 characters of a number. So this
 * module only validates syntax (for messages) and locates positions, so that
 * a policy error can say "policy.json:12: ...".
 *
 * Two parts:
 *
 *   - json_scan_check() rejects NUL bytes and invalid UTF-8 (overlong forms,
 *     surrogates, truncated sequences), then is a strict RFC 8259 recognizer:
 *     no allocation, recursion bounded by JSON_SCAN_MAX_DEPTH. It reports
 *     syntax errors with their exact offset, nesting deeper than
 *     JSON_SCAN_MAX_DEPTH (before cJSON, whose own limit is 1000), raw control
 *     characters in strings, "\u0000", unpaired surrogates and numbers longer
 *     than cJSON 1.7.15 reads. What it accepts is a subset of what cJSON
 *     accepts, so once it has passed, a NULL from cJSON can only mean that
 *     cJSON ran out of memory.
 *   - json_scan_locate() and json_scan_value_end() walk text that
 *     json_scan_check() has accepted, to find where a value is and where it
 *     ends. Members are found by position, not by name (see
 *     json_scan_locate()).
 *
 * Invariants: pure functions of their arguments; no allocation, no global
 * state, no I/O. The text is bytes with a length, not a C string (a NUL
 * inside it is an error, not its end). Offsets are bytes from the start of
 * the text; lines are 1-based and counted by '\n'. The messages are worded
 * for a policy file, whose top level must be an object.
 */
#ifndef RW_JSON_SCAN_H
#define RW_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>

/** Nesting limit: containers, the top-level object being level 1. */
#define JSON_SCAN_MAX_DEPTH 32

/** Why and where json_scan_check() refused a text. */
struct json_scan_error {
	size_t pos;    /* byte offset of the error */
	char msg[256]; /* one line, e.g. "syntax error: trailing comma, found ']'" */
};

/** Where a value is: the offset of its key, and of the value itself. */
struct json_scan_where {
	size_t key; /* the member's key; inside an array, the element (== val) */
	size_t val;
};

/**
 * Checks that @p text (@p len bytes, not NUL-terminated) is UTF-8 without NUL
 * bytes and one well-formed JSON object no deeper than JSON_SCAN_MAX_DEPTH,
 * optionally after a UTF-8 byte order mark and around whitespace.
 *
 * On success returns true and sets *@p root_off to the offset of the
 * top-level '{'. On failure returns false and fills @p err with the offset
 * of the error and a one-line message; when the message describes the byte
 * found there it ends with ", found 'x'", ", found byte 0xNN" or ", found the
 * end of the file". Never allocates.
 */
bool json_scan_check(const char *text, size_t len, size_t *root_off, struct json_scan_error *err);

/**
 * Walks @p text, which json_scan_check() accepted with @p root_off, down a
 * path of child indices: @p idx[0] is the index of a member (or element) of
 * the top-level object, idx[1] of a member of that value, and so on, for
 * @p depth steps (at most JSON_SCAN_MAX_DEPTH). Returns where the last one
 * is; with @p depth 0, both offsets are @p root_off.
 *
 * Matching by position is exact because cJSON keeps the members of an object
 * and the elements of an array in document order: the k-th child in its tree
 * is the k-th member in the text, even for duplicate keys, keys written with
 * escapes, or a key name that also appears as a string elsewhere. The caller
 * takes the indices from the cJSON tree of the same text. The walk costs at
 * most one pass over the text.
 */
struct json_scan_where json_scan_locate(const char *text, size_t len, size_t root_off,
                                        const int *idx, int depth);

/**
 * Returns the offset just past the value that starts at @p off in @p text
 * (@p len bytes), which json_scan_check() accepted; @p off is typically the
 * val of json_scan_locate().
 */
size_t json_scan_value_end(const char *text, size_t len, size_t off);

/** Returns the 1-based line of byte @p off in @p text (@p len bytes). */
size_t json_scan_line(const char *text, size_t len, size_t off);

#endif
