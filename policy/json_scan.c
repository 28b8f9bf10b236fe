/* SPDX-License-Identifier: MIT */
/*
 * json_scan.c — a strict JSON recognizer and a position walker over the raw
 * text of a policy file, for error messages only; cJSON remains the parser
 * (see json_scan.h for why this module exists).
 *
 * One cursor, struct scan, serves both: json_scan_check() runs the
 * recognizer, which stops at the first error with pos on it; the walkers run
 * the same functions over text the recognizer accepted, where they only
 * advance and cannot fail. Recursion is bounded by JSON_SCAN_MAX_DEPTH, which
 * the recognizer enforces, so the walkers inherit the bound.
 */
#include "policy/json_scan.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "policy/base/utf8.h"

#define MAX_NUMBER 63 /* cJSON 1.7.15 reads at most 63 characters of a number */

struct scan {
	const unsigned char *s;
	size_t n, pos;   /* on failure, pos is where the error is */
	const char *why; /* on failure, what is wrong */
	bool show_found; /* append ", found X" describing s[pos] */
	char buf[64];    /* storage for a formatted why */
};

static bool sfail(struct scan *sc, const char *why, bool show_found)
{
	sc->why = why;
	sc->show_found = show_found;
	return false;
}

static int peek(const struct scan *sc)
{
	return sc->pos < sc->n ? sc->s[sc->pos] : -1;
}

static bool is_ws(int ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static bool is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

static void sc_ws(struct scan *sc)
{
	while (is_ws(peek(sc)))
		sc->pos++;
}

static bool scan_bytes(struct scan *sc)
{
	const unsigned char *s = sc->s;

	for (size_t i = 0; i < sc->n;) {
		unsigned char b = s[i];
		size_t len;

		sc->pos = i;
		if (b == 0)
			return sfail(sc, "NUL byte (JSON text is UTF-8 without NUL bytes)", false);
		len = utf8_decode(s + i, sc->n - i, NULL);
		if (len == 0) {
			snprintf(sc->buf, sizeof(sc->buf),
			         "invalid UTF-8 at byte 0x%02x (JSON text is UTF-8)", b);
			return sfail(sc, sc->buf, false);
		}
		i += len;
	}
	return true;
}

static long hex4(const struct scan *sc, size_t at)
{
	long v = 0;

	if (at > sc->n || sc->n - at < 4)
		return -1;
	for (size_t i = at; i < at + 4; i++) {
		int ch = sc->s[i], d;
		if (is_digit(ch))
			d = ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			d = ch - 'a' + 10;
		else if (ch >= 'A' && ch <= 'F')
			d = ch - 'A' + 10;
		else
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static bool sc_string(struct scan *sc)
{
	size_t start = sc->pos++;

	for (;;) {
		int ch = peek(sc);
		if (ch < 0) {
			sc->pos = start;
			return sfail(sc, "syntax error: string not terminated", false);
		}
		if (ch == '"') {
			sc->pos++;
			return true;
		}
		if (ch < 0x20)
			return sfail(sc, "syntax error: control character in a string", true);
		if (ch != '\\') {
			sc->pos++;
			continue;
		}
		ch = sc->pos + 1 < sc->n ? sc->s[sc->pos + 1] : -1;
		if (ch > 0 && strchr("\"\\/bfnrt", ch)) {
			sc->pos += 2;
			continue;
		}
		if (ch != 'u')
			return sfail(sc, "syntax error: bad escape in a string", false);
		long u = hex4(sc, sc->pos + 2);
		if (u < 0)
			return sfail(sc, "syntax error: \\u needs four hex digits", false);
		if (u == 0)
			return sfail(sc, "\\u0000 is not allowed", false);
		if (u >= 0xDC00 && u <= 0xDFFF)
			return sfail(sc, "syntax error: unpaired UTF-16 surrogate", false);
		if (u >= 0xD800 && u <= 0xDBFF) {
			long lo = sc->n - sc->pos >= 12 && sc->s[sc->pos + 6] == '\\' &&
			                          sc->s[sc->pos + 7] == 'u'
			                  ? hex4(sc, sc->pos + 8)
			                  : -1;
			if (lo < 0xDC00 || lo > 0xDFFF)
				return sfail(sc, "syntax error: unpaired UTF-16 surrogate", false);
			sc->pos += 6;
		}
		sc->pos += 6;
	}
}

static bool sc_number(struct scan *sc)
{
	size_t start = sc->pos;
	int ch;

	if (peek(sc) == '-')
		sc->pos++;
	if (peek(sc) == '0') {
		sc->pos++;
	} else if (is_digit(peek(sc))) {
		while (is_digit(peek(sc)))
			sc->pos++;
	} else {
		goto bad;
	}
	if (peek(sc) == '.') {
		sc->pos++;
		if (!is_digit(peek(sc)))
			goto bad;
		while (is_digit(peek(sc)))
			sc->pos++;
	}
	if (peek(sc) == 'e' || peek(sc) == 'E') {
		sc->pos++;
		if (peek(sc) == '+' || peek(sc) == '-')
			sc->pos++;
		if (!is_digit(peek(sc)))
			goto bad;
		while (is_digit(peek(sc)))
			sc->pos++;
	}
	ch = peek(sc);
	if (is_digit(ch) || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '.' ||
	    ch == '+' || ch == '-')
		goto bad;
	if (sc->pos - start > MAX_NUMBER) {
		sc->pos = start;
		return sfail(sc, "number longer than 63 characters", false);
	}
	return true;
bad:
	sc->pos = start;
	return sfail(sc, "syntax error: malformed number", false);
}

static bool sc_literal(struct scan *sc, const char *word)
{
	size_t len = strlen(word);
	int ch;

	if (sc->n - sc->pos < len || memcmp(sc->s + sc->pos, word, len) != 0)
		return sfail(sc, "syntax error: expected a value", true);
	ch = sc->pos + len < sc->n ? sc->s[sc->pos + len] : -1;
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || is_digit(ch))
		return sfail(sc, "syntax error: expected a value", true);
	sc->pos += len;
	return true;
}

static bool sc_value(struct scan *sc, int depth);

static bool sc_container(struct scan *sc, int depth)
{
	bool obj = sc->s[sc->pos] == '{';
	int close = obj ? '}' : ']';

	if (depth > JSON_SCAN_MAX_DEPTH)
		return sfail(sc, "nesting deeper than 32 levels", false);
	sc->pos++;
	sc_ws(sc);
	if (peek(sc) == close) {
		sc->pos++;
		return true;
	}
	for (;;) {
		if (obj) {
			if (peek(sc) != '"')
				return sfail(sc, "syntax error: expected a key in double quotes",
				             true);
			if (!sc_string(sc))
				return false;
			sc_ws(sc);
			if (peek(sc) != ':')
				return sfail(sc, "syntax error: expected ':' after the key", true);
			sc->pos++;
			sc_ws(sc);
		}
		if (!sc_value(sc, depth))
			return false;
		sc_ws(sc);
		if (peek(sc) == close) {
			sc->pos++;
			return true;
		}
		if (peek(sc) != ',')
			return sfail(sc,
			             obj ? "syntax error: expected ',' or '}' after a member"
			                 : "syntax error: expected ',' or ']' after an element",
			             true);
		size_t comma = sc->pos++;
		sc_ws(sc);
		if (peek(sc) == close) {
			sc->pos = comma;
			return sfail(sc, "syntax error: trailing comma", false);
		}
	}
}

static bool sc_value(struct scan *sc, int depth)
{
	int ch = peek(sc);

	switch (ch) {
	case '{':
	case '[': return sc_container(sc, depth + 1);
	case '"': return sc_string(sc);
	case 't': return sc_literal(sc, "true");
	case 'f': return sc_literal(sc, "false");
	case 'n': return sc_literal(sc, "null");
	}
	if (ch == '-' || is_digit(ch))
		return sc_number(sc);
	return sfail(sc, "syntax error: expected a value", true);
}

/* Bytes, then syntax. On success *root_off is the offset of the top-level '{'. */
static bool scan_json(struct scan *sc, size_t *root_off)
{
	if (!scan_bytes(sc))
		return false;
	sc->pos = 0;
	if (sc->n >= 3 && memcmp(sc->s, "\xEF\xBB\xBF", 3) == 0)
		sc->pos = 3; /* a UTF-8 byte order mark, which cJSON skips too */
	sc_ws(sc);
	if (peek(sc) < 0) {
		sc->pos = 0;
		return sfail(sc, "empty (a JSON object is expected)", false);
	}
	if (peek(sc) != '{')
		return sfail(sc, "top level: expected a JSON object", true);
	*root_off = sc->pos;
	if (!sc_value(sc, 0))
		return false;
	sc_ws(sc);
	if (peek(sc) >= 0)
		return sfail(sc, "syntax error: text after the closing '}'", true);
	return true;
}

bool json_scan_check(const char *text, size_t len, size_t *root_off, struct json_scan_error *err)
{
	struct scan sc = {.s = (const unsigned char *)text, .n = len};
	size_t used;
	int ch;

	if (scan_json(&sc, root_off))
		return true;
	err->pos = sc.pos;
	snprintf(err->msg, sizeof(err->msg), "%s", sc.why);
	if (!sc.show_found)
		return false;
	used = strlen(err->msg);
	ch = peek(&sc);
	if (ch < 0)
		snprintf(err->msg + used, sizeof(err->msg) - used, ", found the end of the file");
	else if (ch > 0x20 && ch < 0x7f)
		snprintf(err->msg + used, sizeof(err->msg) - used, ", found '%c'", ch);
	else
		snprintf(err->msg + used, sizeof(err->msg) - used, ", found byte 0x%02x", ch);
	return false;
}

struct json_scan_where json_scan_locate(const char *text, size_t len, size_t root_off,
                                        const int *idx, int depth)
{
	struct scan sc = {.s = (const unsigned char *)text, .n = len, .pos = root_off};
	struct json_scan_where w = {root_off, root_off};

	for (int d = 0; d < depth && peek(&sc) >= 0; d++) {
		bool obj = peek(&sc) == '{';
		sc.pos++;
		sc_ws(&sc);
		for (int i = 0;; i++) {
			w.key = sc.pos;
			if (obj) {
				sc_string(&sc);
				sc_ws(&sc);
				sc.pos++; /* ':' */
				sc_ws(&sc);
			}
			w.val = sc.pos;
			if (i == idx[d] || !sc_value(&sc, 0))
				break;
			sc_ws(&sc);
			sc.pos++; /* ',' */
			sc_ws(&sc);
		}
	}
	return w;
}

size_t json_scan_value_end(const char *text, size_t len, size_t off)
{
	struct scan sc = {.s = (const unsigned char *)text, .n = len, .pos = off};

	sc_value(&sc, 0);
	return sc.pos;
}

size_t json_scan_line(const char *text, size_t len, size_t off)
{
	size_t line = 1;

	for (size_t i = 0; i < off && i < len; i++)
		line += text[i] == '\n';
	return line;
}
