/* SPDX-License-Identifier: MIT */
/*
 * config_secret.c — the files of the config that hold secrets (a GitHub
 * token or App key, a webhook secret, Zulip's API key, SMTP credentials):
 * read once at start-up, at most 64 KiB, never quoted in an error, wiped
 * before they are freed. Private to monitor/core/config*.c (config_impl.h).
 */
#include "monitor/core/config_impl.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void config_wipe_free(char **s)
{
	if (*s) {
		OPENSSL_cleanse(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

/* Reads all of @p file (at most RW_SECRET_FILE_MAX bytes) into a
 * NUL-terminated heap buffer; *why says what went wrong otherwise. */
char *config_read_secret_file(const char *file, size_t *len, char *why, size_t whylen)
{
	FILE *f = fopen(file, "rb");
	char *buf;
	size_t n;

	if (!f) {
		snprintf(why, whylen, "%s: %s", file, strerror(errno));
		return NULL;
	}
	buf = malloc(RW_SECRET_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		snprintf(why, whylen, "%s: out of memory", file);
		return NULL;
	}
	n = fread(buf, 1, RW_SECRET_FILE_MAX + 1, f);
	if (ferror(f) || n > RW_SECRET_FILE_MAX) {
		snprintf(why, whylen, "%s: %s", file,
		         ferror(f) ? "cannot be read" : "larger than 64 KiB");
		fclose(f);
		OPENSSL_cleanse(buf, n > RW_SECRET_FILE_MAX ? n - 1 : n);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* The first line of @p file as a new string: without its line end, and
 * with surrounding blanks removed when @p trim. */
char *config_first_line(const char *file, bool trim, char *why, size_t whylen)
{
	size_t len = 0, start = 0, end;
	char *buf = config_read_secret_file(file, &len, why, whylen), *out;

	if (!buf)
		return NULL;
	end = strcspn(buf, "\n");
	if (end > 0 && buf[end - 1] == '\r')
		end--;
	if (trim) {
		while (start < end && (buf[start] == ' ' || buf[start] == '\t'))
			start++;
		while (end > start && (buf[end - 1] == ' ' || buf[end - 1] == '\t'))
			end--;
	}
	if (memchr(buf, '\0', end) != NULL) {
		snprintf(why, whylen, "%s: the first line holds a NUL byte", file);
		out = NULL;
	} else if (end == start) {
		snprintf(why, whylen, "%s: the first line is empty", file);
		out = NULL;
	} else {
		out = strndup(buf + start, end - start);
		if (!out)
			snprintf(why, whylen, "%s: out of memory", file);
	}
	OPENSSL_cleanse(buf, len);
	free(buf);
	return out;
}
