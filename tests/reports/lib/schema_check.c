/* SPDX-License-Identifier: MIT */
/* schema_check.c — a JSON Schema subset validator for the tests; see schema_check.h. */
#include "schema_check.h"

#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define PATH_MAX_LEN 256

struct ctx {
	const cJSON *root;
	char *err;
	size_t errlen;
	int depth;
};

static int fail(struct ctx *c, const char *path, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int fail(struct ctx *c, const char *path, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s: %s", path, msg);
	return -1;
}

static bool is_integer(const cJSON *v)
{
	return cJSON_IsNumber(v) && isfinite(v->valuedouble) &&
	       v->valuedouble == floor(v->valuedouble);
}

static bool has_type(const cJSON *v, const char *t)
{
	if (strcmp(t, "object") == 0)
		return cJSON_IsObject(v);
	if (strcmp(t, "array") == 0)
		return cJSON_IsArray(v);
	if (strcmp(t, "string") == 0)
		return cJSON_IsString(v);
	if (strcmp(t, "number") == 0)
		return cJSON_IsNumber(v);
	if (strcmp(t, "integer") == 0)
		return is_integer(v);
	if (strcmp(t, "boolean") == 0)
		return cJSON_IsBool(v);
	if (strcmp(t, "null") == 0)
		return cJSON_IsNull(v);
	return false;
}

static const char *kind(const cJSON *v)
{
	return cJSON_IsObject(v)   ? "an object"
	       : cJSON_IsArray(v)  ? "an array"
	       : cJSON_IsString(v) ? "a string"
	       : cJSON_IsNumber(v) ? "a number"
	       : cJSON_IsBool(v)   ? "a boolean"
	       : cJSON_IsNull(v)   ? "null"
	                           : "something else";
}

static int validate(struct ctx *c, const cJSON *s, const cJSON *v, const char *path);

static int check_type(struct ctx *c, const cJSON *t, const cJSON *v, const char *path)
{
	if (cJSON_IsString(t)) {
		if (has_type(v, t->valuestring))
			return 0;
		return fail(c, path, "%s is not of type %s", kind(v), t->valuestring);
	}
	if (cJSON_IsArray(t)) {
		for (const cJSON *e = t->child; e; e = e->next)
			if (cJSON_IsString(e) && has_type(v, e->valuestring))
				return 0;
		return fail(c, path, "%s is not one of the listed types", kind(v));
	}
	return fail(c, path, "schema: \"type\" must be a string or a list");
}

static int check_object(struct ctx *c, const cJSON *s, const cJSON *v, const char *path)
{
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(s, "properties");
	const cJSON *req = cJSON_GetObjectItemCaseSensitive(s, "required");
	const cJSON *extra = cJSON_GetObjectItemCaseSensitive(s, "additionalProperties");
	char sub[PATH_MAX_LEN];

	for (const cJSON *r = req ? req->child : NULL; r; r = r->next)
		if (!cJSON_GetObjectItemCaseSensitive(v, r->valuestring))
			return fail(c, path, "the required member \"%s\" is missing",
			            r->valuestring);
	for (const cJSON *m = v->child; m; m = m->next) {
		const cJSON *ps = props ? cJSON_GetObjectItemCaseSensitive(props, m->string) : NULL;
		snprintf(sub, sizeof(sub), "%s.%s", path, m->string);
		if (ps) {
			if (validate(c, ps, m, sub) < 0)
				return -1;
		} else if (cJSON_IsFalse(extra)) {
			return fail(c, path, "the member \"%s\" is not allowed", m->string);
		} else if (cJSON_IsObject(extra)) {
			if (validate(c, extra, m, sub) < 0)
				return -1;
		}
	}
	return 0;
}

static int check_array(struct ctx *c, const cJSON *s, const cJSON *v, const char *path)
{
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(s, "items");
	const cJSON *min = cJSON_GetObjectItemCaseSensitive(s, "minItems");
	const cJSON *max = cJSON_GetObjectItemCaseSensitive(s, "maxItems");
	int n = cJSON_GetArraySize(v), i = 0;
	char sub[PATH_MAX_LEN];

	if (min && n < min->valuedouble)
		return fail(c, path, "%d items, fewer than minItems %g", n, min->valuedouble);
	if (max && n > max->valuedouble)
		return fail(c, path, "%d items, more than maxItems %g", n, max->valuedouble);
	for (const cJSON *e = v->child; items && e; e = e->next, i++) {
		snprintf(sub, sizeof(sub), "%s[%d]", path, i);
		if (validate(c, items, e, sub) < 0)
			return -1;
	}
	return 0;
}

static int check_pattern(struct ctx *c, const cJSON *p, const cJSON *v, const char *path)
{
	regex_t re;
	int rc;

	if (!cJSON_IsString(p) || regcomp(&re, p->valuestring, REG_EXTENDED | REG_NOSUB) != 0)
		return fail(c, path, "schema: a pattern that is not a POSIX ERE");
	rc = regexec(&re, v->valuestring, 0, NULL, 0);
	regfree(&re);
	if (rc != 0)
		return fail(c, path, "\"%s\" does not match the pattern %s", v->valuestring,
		            p->valuestring);
	return 0;
}

static const cJSON *resolve(struct ctx *c, const cJSON *ref, const char *path)
{
	const cJSON *defs = cJSON_GetObjectItemCaseSensitive(c->root, "$defs");
	const cJSON *target;

	if (!cJSON_IsString(ref) || strncmp(ref->valuestring, "#/$defs/", 8) != 0 || !defs) {
		fail(c, path, "schema: only \"#/$defs/NAME\" references are supported");
		return NULL;
	}
	target = cJSON_GetObjectItemCaseSensitive(defs, ref->valuestring + 8);
	if (!target)
		fail(c, path, "schema: no definition %s", ref->valuestring);
	return target;
}

static int validate(struct ctx *c, const cJSON *s, const cJSON *v, const char *path)
{
	static const char *const ignored[] = {"$schema",
	                                      "$id",
	                                      "title",
	                                      "description",
	                                      "$defs",
	                                      "items",
	                                      "minItems",
	                                      "maxItems",
	                                      "properties",
	                                      "required",
	                                      "additionalProperties"};
	int rc = 0;

	if (!cJSON_IsObject(s))
		return fail(c, path, "schema: a schema must be an object");
	if (++c->depth > 64) {
		c->depth--;
		return fail(c, path, "schema: nested too deep");
	}
	for (const cJSON *k = s->child; rc == 0 && k; k = k->next) {
		const char *key = k->string;
		bool skip = false;
		for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
			skip = skip || strcmp(key, ignored[i]) == 0;
		if (skip)
			continue;
		if (strcmp(key, "type") == 0) {
			rc = check_type(c, k, v, path);
		} else if (strcmp(key, "const") == 0) {
			if (!cJSON_Compare(k, v, true))
				rc = fail(c, path, "%s is not the constant", kind(v));
		} else if (strcmp(key, "enum") == 0) {
			bool found = false;
			for (const cJSON *e = k->child; e && !found; e = e->next)
				found = cJSON_Compare(e, v, true);
			if (!found)
				rc = fail(c, path, "\"%s\" is not one of the enum",
				          cJSON_IsString(v) ? v->valuestring : kind(v));
		} else if (strcmp(key, "minimum") == 0) {
			if (cJSON_IsNumber(v) && v->valuedouble < k->valuedouble)
				rc = fail(c, path, "%g is below the minimum %g", v->valuedouble,
				          k->valuedouble);
		} else if (strcmp(key, "maximum") == 0) {
			if (cJSON_IsNumber(v) && v->valuedouble > k->valuedouble)
				rc = fail(c, path, "%g is above the maximum %g", v->valuedouble,
				          k->valuedouble);
		} else if (strcmp(key, "pattern") == 0) {
			if (cJSON_IsString(v))
				rc = check_pattern(c, k, v, path);
		} else if (strcmp(key, "$ref") == 0) {
			const cJSON *target = resolve(c, k, path);
			rc = target ? validate(c, target, v, path) : -1;
		} else {
			rc = fail(c, path, "schema: unsupported keyword \"%s\"", key);
		}
	}
	if (rc == 0 && cJSON_IsObject(v))
		rc = check_object(c, s, v, path);
	if (rc == 0 && cJSON_IsArray(v))
		rc = check_array(c, s, v, path);
	c->depth--;
	return rc;
}

int schema_check(const cJSON *schema, const cJSON *doc, char *err, size_t errlen)
{
	struct ctx c = {.root = schema, .err = err, .errlen = errlen};

	err[0] = '\0';
	return validate(&c, schema, doc, "$");
}
