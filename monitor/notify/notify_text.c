/* SPDX-License-Identifier: MIT */
/*
 * notify_text.c — the words of the messages people read (Zulip, mail):
 * times, what a failure class means, and text that cannot break out of
 * where it is put (a mail header, a Markdown code span). See
 * notify_impl.h.
 *
 * Invariants: nothing here depends on the locale; what comes from a runner
 * or an operator (names, notes) reaches a message only through
 * notify_put_plain() or notify_put_code().
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "monitor/notify/notify_impl.h"

void notify_time(int64_t ms, char *out, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm)) {
		snprintf(out, len, "(time unknown)");
		return;
	}
	snprintf(out, len, "%04d-%02d-%02d %02d:%02d:%02d UTC", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

const char *notify_class_text(const char *cls, long http_status, char *buf, size_t len)
{
	static const struct {
		const char *cls, *text;
	} t[] = {
	        {"dns", "its host name did not resolve"},
	        {"connect", "the connection was refused or did not complete"},
	        {"tls", "the TLS handshake failed"},
	        {"timeout", "no answer (or no heartbeat) in time"},
	        {"body", "its answer was not a health answer"},
	        {"too_large", "its answer was too large"},
	        {"refused_by_guard", "its address is one the monitor may not probe"},
	        {"offline", "GitHub lists it offline"},
	        {"gone", "GitHub no longer lists it"},
	        {"below_min_online", "too few of the pool's runners are online"},
	        {"no_pickup", "a job waited longer than the pool's pickup deadline"},
	};

	if (cls && strcmp(cls, "http_status") == 0) {
		snprintf(buf, len, "it answered HTTP %ld", http_status);
		return buf;
	}
	for (size_t i = 0; cls && i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(cls, t[i].cls) == 0)
			return t[i].text;
	return "it failed its checks";
}

void notify_put_plain(struct strbuf *b, const char *s, size_t max)
{
	for (size_t i = 0; s && s[i] && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		char o = c < 0x20 || c >= 0x7f ? '?' : (char)c;
		strbuf_append(b, &o, 1);
	}
}

void notify_put_code(struct strbuf *b, const char *s, size_t max)
{
	strbuf_puts(b, "`");
	for (size_t i = 0; s && s[i] && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		/* A backtick would end the span; a line end would end the line. */
		char o = c == '`' ? '\'' : c < 0x20 || c == 0x7f ? ' ' : (char)c;
		strbuf_append(b, &o, 1);
	}
	strbuf_puts(b, "`");
}
