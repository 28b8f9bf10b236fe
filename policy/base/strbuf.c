/* SPDX-License-Identifier: MIT */
/* strbuf.c — growable buffer; see strbuf.h. */
#include "policy/base/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/base/utf8.h"

void strbuf_init(struct strbuf *b)
{
	memset(b, 0, sizeof(*b));
}

void strbuf_deinit(struct strbuf *b)
{
	free(b->data);
	strbuf_init(b);
}

static bool grow(struct strbuf *b, size_t extra)
{
	size_t need = b->len + extra + 1, ncap;
	char *nd;

	if (b->failed)
		return false;
	if (need <= b->cap)
		return true;
	ncap = b->cap ? b->cap : 256;
	while (ncap < need)
		ncap *= 2;
	nd = realloc(b->data, ncap);
	if (!nd) {
		b->failed = true;
		return false;
	}
	b->data = nd;
	b->cap = ncap;
	return true;
}

void strbuf_append(struct strbuf *b, const char *s, size_t n)
{
	if (!grow(b, n))
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void strbuf_puts(struct strbuf *b, const char *s)
{
	strbuf_append(b, s, strlen(s));
}

void strbuf_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !grow(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void strbuf_json_str(struct strbuf *b, const char *s)
{
	const char *run = s, *p = s;
	size_t left = s ? strlen(s) : 0;

	strbuf_append(b, "\"", 1);
	while (left > 0) {
		unsigned char c = (unsigned char)*p;
		size_t n = c < 0x80 ? 1 : utf8_decode(p, left, NULL);
		char esc[8];
		const char *rep = esc;

		if (n > 1 || (n == 1 && c >= 0x20 && c != '"' && c != '\\')) {
			p += n; /* stands for itself: part of the current run */
			left -= n;
			continue;
		}
		switch (c) {
		case '"': rep = "\\\""; break;
		case '\\': rep = "\\\\"; break;
		case '\n': rep = "\\n"; break;
		case '\r': rep = "\\r"; break;
		case '\t': rep = "\\t"; break;
		default:
			if (n == 0)
				rep = "\\ufffd"; /* not UTF-8: U+FFFD, one per byte */
			else
				snprintf(esc, sizeof(esc), "\\u%04x", c);
		}
		if (p > run)
			strbuf_append(b, run, (size_t)(p - run));
		strbuf_puts(b, rep);
		p++;
		left--;
		run = p;
	}
	if (p > run)
		strbuf_append(b, run, (size_t)(p - run));
	strbuf_append(b, "\"", 1);
}

bool strbuf_failed(const struct strbuf *b)
{
	return b->failed;
}

char *strbuf_take(struct strbuf *b, size_t *len)
{
	char *d = b->failed ? NULL : b->data;
	if (len)
		*len = b->len;
	if (b->failed)
		free(b->data);
	strbuf_init(b);
	return d;
}
