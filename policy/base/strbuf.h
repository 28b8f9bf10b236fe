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

void strbuf_init(struct strbuf *b);
void strbuf_free(struct strbuf *b);
void strbuf_append(struct strbuf *b, const char *s, size_t n);
void strbuf_puts(struct strbuf *b, const char *s);
void strbuf_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Appends @p s as a JSON string literal, quotes included. */
void strbuf_json_str(struct strbuf *b, const char *s);
bool strbuf_failed(const struct strbuf *b);
/** Returns the data (caller frees) and resets the buffer; NULL if failed. */
char *strbuf_take(struct strbuf *b, size_t *len);

#endif
