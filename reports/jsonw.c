/* SPDX-License-Identifier: MIT */
/* jsonw.c — cJSON documents that never silently lose an item; see jsonw.h. */
#include "reports/jsonw.h"

#include <inttypes.h>
#include <stdlib.h>

#include "policy/base/rw_error.h"
#include "reports/fmt.h"

void jsonw_put(cJSON *o, const char *key, cJSON *item, bool *oom)
{
	if (!item || !o || !cJSON_AddItemToObject(o, key, item)) {
		cJSON_Delete(item);
		*oom = true;
	}
}

void jsonw_push(cJSON *a, cJSON *item, bool *oom)
{
	if (!item || !a || !cJSON_AddItemToArray(a, item)) {
		cJSON_Delete(item);
		*oom = true;
	}
}

/* Numbers are written as raw text formatted here from integers: exact for
 * every int64_t (a double is not beyond 2^53), the same bytes everywhere, and
 * much cheaper than cJSON's printf("%1.15g") and read-back check per number,
 * which dominated the time of a 10,000-runner report. */
cJSON *jsonw_int(int64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%" PRId64, v);
	return cJSON_CreateRaw(s);
}

cJSON *jsonw_int_or_null(int64_t v)
{
	return v < 0 ? cJSON_CreateNull() : jsonw_int(v);
}

cJSON *jsonw_thousandths(int64_t v)
{
	char s[32];
	int frac = (int)(v % 1000), digits = 3;

	if (v < 0)
		return cJSON_CreateNull();
	while (digits > 0 && frac % 10 == 0 && frac) {
		frac /= 10;
		digits--;
	}
	if (v % 1000 == 0)
		snprintf(s, sizeof(s), "%" PRId64, v / 1000);
	else
		snprintf(s, sizeof(s), "%" PRId64 ".%0*d", v / 1000, digits, frac);
	return cJSON_CreateRaw(s);
}

cJSON *jsonw_time(int64_t ms)
{
	char t[FMT_LEN];

	if (ms < 0)
		return cJSON_CreateNull();
	fmt_time(ms, t);
	return cJSON_CreateString(t);
}

cJSON *jsonw_ratio(bool has, uint32_t ppm)
{
	char s[FMT_LEN];

	if (!has)
		return cJSON_CreateNull();
	fmt_ratio(ppm, s);
	return cJSON_CreateRaw(s);
}

cJSON *jsonw_string_or_null(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

int jsonw_write(FILE *f, cJSON *doc, bool oom)
{
	char *s = NULL;
	int rc = 0;

	if (!oom && doc)
		s = cJSON_Print(doc);
	cJSON_Delete(doc);
	if (!s)
		return RW_ENOMEM;
	if (fputs(s, f) == EOF || fputc('\n', f) == EOF)
		rc = RW_EIO;
	free(s);
	return rc;
}

void jsonw_begin(struct jsonw_stream *s, FILE *f)
{
	s->f = f;
	s->first = true;
	s->first_el = true;
	s->oom = false;
	fputc('{', f);
}

/* Prints @p value compactly, then frees it. */
static void put_value(struct jsonw_stream *s, cJSON *value, bool oom)
{
	char *text = !oom && value ? cJSON_PrintUnformatted(value) : NULL;

	cJSON_Delete(value);
	if (!text) {
		s->oom = true;
		fputs("null", s->f);
		return;
	}
	fputs(text, s->f);
	free(text);
}

static void key_line(struct jsonw_stream *s, const char *key)
{
	fprintf(s->f, "%s\n  \"%s\": ", s->first ? "" : ",", key);
	s->first = false;
}

void jsonw_member(struct jsonw_stream *s, const char *key, cJSON *value, bool oom)
{
	key_line(s, key);
	put_value(s, value, oom);
}

void jsonw_array_begin(struct jsonw_stream *s, const char *key)
{
	key_line(s, key);
	fputc('[', s->f);
	s->first_el = true;
}

void jsonw_element(struct jsonw_stream *s, cJSON *value, bool oom)
{
	fputs(s->first_el ? "\n    " : ",\n    ", s->f);
	s->first_el = false;
	put_value(s, value, oom);
}

void jsonw_array_end(struct jsonw_stream *s)
{
	fputs(s->first_el ? "]" : "\n  ]", s->f);
}

int jsonw_end(struct jsonw_stream *s)
{
	fputs("\n}\n", s->f);
	if (s->oom)
		return RW_ENOMEM;
	return ferror(s->f) ? RW_EIO : 0;
}
