/* SPDX-License-Identifier: MIT */
/*
 * xesc.h — untrusted bytes made safe to quote in one line of text: a log
 * value, an error message, a CLI answer.
 *
 * The one rule: every byte below 0x20, 0x7f and every byte from 0x80 up, the
 * double quote and the backslash become "\xNN" (two lowercase hex digits);
 * every other byte stands for itself. So:
 *   - the output is printable ASCII only: no line break, no terminal escape
 *     (C0 or, UTF-8 encoded, C1), no bidirectional override can reach a
 *     terminal or a log file through it;
 *   - it holds no '"' and no '\\', so it can sit between double quotes in any
 *     of our formats (logfmt, "FIELD: \"VALUE\" ..." messages) and the quotes
 *     still delimit it;
 *   - it is reversible: "\x" always starts an escape, because a backslash in
 *     the input is itself escaped. One escape form rather than \" and \\
 *     besides \xNN, so a reader needs one rule.
 * Non-ASCII bytes are escaped one by one, valid UTF-8 or not: what is quoted
 * here is a value to check against its source, not text to read.
 *
 * A value that does not fit is cut after the last whole character or escape
 * that fits together with "...", and ends in "...": a cut never splits an
 * escape and never goes unnoticed.
 */
#ifndef RW_XESC_H
#define RW_XESC_H

#include <stddef.h>

/**
 * Writes the first @p n bytes of @p s (fewer if a NUL comes first) escaped
 * into @p out, NUL-terminated.
 *
 * @param out     receives the text (not NULL unless @p outlen is 0).
 * @param outlen  size of @p out in bytes, terminator included; 0 writes
 *                nothing. When the escaped text needs more than
 *                @p outlen - 1 bytes, it is cut as the header says (and with
 *                @p outlen < 4 it is cut to "" or as many dots as fit).
 * @param s       the bytes (NULL is read as "").
 * @param n       at most this many bytes of @p s are read.
 * @return the length of the text written to @p out.
 */
size_t xesc(char *out, size_t outlen, const char *s, size_t n);

/** Whether xesc() writes byte @p c as an escape rather than itself. */
int xesc_needed(unsigned char c);

#endif
