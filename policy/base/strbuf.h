/* SPDX-License-Identifier: MIT */
/*
 * strbuf.h — a growable byte buffer for building answers (after curl's
 * dynbuf). The buffer owns its memory; strbuf_take() hands it over.
 * After an allocation failure the buffer is marked failed, every later
 * append is a no-op, and strbuf_failed() tells the caller once at the end.
 */
#ifndef RW_STRBUF_H
#define RW_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *data; /* always NUL-terminated when not NULL */
	size_t len;
	size_t cap;
	bool failed;
};

/** An empty buffer (no memory yet); pair with strbuf_deinit() or strbuf_take(). */
void strbuf_init(struct strbuf *b);

/** Frees what @p b holds and leaves it empty, ready for reuse. */
void strbuf_deinit(struct strbuf *b);

/** Appends @p n bytes of @p s (which may hold NULs). */
void strbuf_append(struct strbuf *b, const char *s, size_t n);

/** Appends the string @p s. */
void strbuf_puts(struct strbuf *b, const char *s);

/** Appends printf(@p fmt, ...). */
void strbuf_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * Appends @p s as a JSON string literal, quotes included: the one JSON string
 * writer for every piece of JSON runwarden writes by hand (the API, the
 * policy's normalized text); documents built with cJSON escape their own.
 * '"' and '\\' are escaped with a backslash, LF, CR and tab as \n \r \t,
 * the other bytes below 0x20 as \u00XX; well-formed UTF-8 (utf8.h) and DEL
 * pass through; every byte that does not start a well-formed UTF-8 sequence
 * becomes \ufffd, so the output is always valid JSON (RFC 8259 section 8.1).
 * A NULL @p s is written as "".
 */
void strbuf_json_str(struct strbuf *b, const char *s);

/** Whether an allocation failed since strbuf_init() (the content is then incomplete). */
bool strbuf_failed(const struct strbuf *b);

/** Returns the data (caller frees) and resets the buffer; NULL if failed. */
char *strbuf_take(struct strbuf *b, size_t *len);

#endif
