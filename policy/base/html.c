/* SPDX-License-Identifier: MIT */
/* html.c — HTML escaping; see html.h for the rule and why. */
#include "policy/base/html.h"

#include <string.h>

/* What byte @p c becomes, or NULL when it stands for itself. */
static const char *replacement(unsigned char c)
{
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&#39;";
	}
	return c < 0x20 || c == 0x7f ? " " : NULL;
}

/* The one loop: hands @p put the runs that stand for themselves and the
 * replacements, in order. */
static void escape(const char *s, void (*put)(void *sink, const char *p, size_t n), void *sink)
{
	const char *run = s;

	if (!s)
		return;
	for (; *s; s++) {
		const char *rep = replacement((unsigned char)*s);

		if (!rep)
			continue;
		put(sink, run, (size_t)(s - run));
		put(sink, rep, strlen(rep));
		run = s + 1;
	}
	put(sink, run, (size_t)(s - run));
}

static void put_strbuf(void *sink, const char *p, size_t n)
{
	strbuf_append(sink, p, n);
}

static void put_file(void *sink, const char *p, size_t n)
{
	if (n)
		fwrite(p, 1, n, sink);
}

void html_escape(struct strbuf *b, const char *s)
{
	escape(s, put_strbuf, b);
}

void html_escape_file(FILE *f, const char *s)
{
	escape(s, put_file, f);
}
