/* SPDX-License-Identifier: MIT */
/*
 * fuzz_reqbody.c — a libFuzzer target over the HTTP API's request bodies
 * (monitor/api/reqbody.h) and the shared validators beneath them (runner_spec.h,
 * maintenance_spec.h).
 *
 * The first byte of an input picks what is fuzzed; the rest is the body or
 * the value. Slot = (byte - 'A') & 15, so the seeds in corpus/ start with a
 * readable letter:
 *
 *   A operator      E heartbeat       I spec_check_name     M spec_check_reason
 *   B token         F maintenance     J spec_check_email    N spec_check_maintenance
 *   C runner        G note (ack)      K spec_check_url      O a body padded to the limit
 *   D runner patch  H note (mitigate) L spec_check_targets  P a body with no members allowed
 *
 * For the endpoints (A-H), bit 4 of (byte - 'A') flips whether reqbody_parse()
 * takes an empty body as {}: 'A'-'P' as the API calls it, 'Q'-'`' the other way.
 *
 * Not crashing is not enough: the target checks what the headers promise and
 * aborts when a promise is broken, so that a silent bug becomes a crash the
 * fuzzer reports. A refused body has *out NULL, status 413 exactly when it is
 * over REQBODY_MAX (else 400), a field and a one-line detail that are
 * NUL-terminated in their buffers and valid UTF-8 without control characters,
 * and RW_EINVAL, never RW_ENOMEM: json_scan_check() accepting what cJSON then
 * refuses would show up as RW_ENOMEM. An accepted body is an object of at most
 * REQBODY_MAX bytes of UTF-8 without NUL, no deeper than REQBODY_MAX_DEPTH,
 * with no duplicate names at any level and only allowed members; the values
 * read from it point into the tree and pass the validators again. The raw
 * validators are checked against oracles written here from their headers.
 *
 * Built two ways: with clang's -fsanitize=fuzzer as fuzz_reqbody (RW_FUZZ=ON,
 * see README.md), and with any compiler beside replay_main.c as
 * fuzz_reqbody_replay, which ctest runs over corpus/.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "monitor/api/reqbody.h"
#include "monitor/intake/maintenance_spec.h"
#include "monitor/intake/runner_spec.h"
#include "policy/base/rfc3339.h"
#include "policy/base/rw_error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW_MS INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */

/* What RFC 3339 can spell: 0000-01-01T00:00:00+23:59 .. 9999-12-31T23:59:60.999-23:59. */
#define SPELLED_MIN_MS (RFC3339_MIN_MS - INT64_C(86340000))
#define SPELLED_MAX_MS (RFC3339_MAX_MS + INT64_C(86340000))

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			check_failed(__LINE__, #cond);                                             \
	} while (0)

enum slot {
	SLOT_OPERATOR,
	SLOT_TOKEN,
	SLOT_RUNNER,
	SLOT_RUNNER_PATCH,
	SLOT_HEARTBEAT,
	SLOT_MAINTENANCE,
	SLOT_NOTE_REQUIRED,
	SLOT_NOTE_OPTIONAL,
	SLOT_NAME,
	SLOT_EMAIL,
	SLOT_URL,
	SLOT_TARGETS,
	SLOT_REASON,
	SLOT_WINDOW,
	SLOT_PADDED,
	SLOT_NO_MEMBERS,
};

static const char *const no_fields[] = {NULL};

/* What *out holds before reqbody_parse(), which must set it in every case. */
static cJSON unset;

static _Noreturn void check_failed(int line, const char *cond)
{
	fprintf(stderr, "fuzz_reqbody.c:%d: check failed: %s\n", line, cond);
	abort();
}

/* The length of the well-formed UTF-8 sequence at @p p (@p left bytes), or 0:
 * no overlong forms, no surrogates, nothing above U+10FFFF. Written here from
 * RFC 3629, independently of the code under test. */
static size_t utf8_seq(const unsigned char *p, size_t left, uint32_t *cp)
{
	size_t n;
	uint32_t c, min;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		c = p[0] & 0x1fu;
		min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		c = p[0] & 0x0fu;
		min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		c = p[0] & 0x07u;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3fu);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* True when @p s (@p len bytes) is UTF-8; with @p text, also free of C0, DEL
 * and C1 control characters (one line, safe in logs and JSON). */
static bool utf8_ok(const char *s, size_t len, bool text)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		uint32_t cp = 0;
		size_t n = utf8_seq(p + i, len - i, &cp);

		if (n == 0)
			return false;
		if (text && (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)))
			return false;
		i += n;
	}
	return true;
}

/* A C string within @p max bytes (NUL included) that is one line of text. */
static bool text_in(const char *s, size_t max)
{
	const char *end = memchr(s, '\0', max);

	return end && utf8_ok(s, (size_t)(end - s), true);
}

static bool in_list(const char *const *list, const char *s, size_t len)
{
	for (size_t i = 0; list[i]; i++)
		if (strlen(list[i]) == len && memcmp(list[i], s, len) == 0)
			return true;
	return false;
}

/* A message a validator wrote into @p err (@p errlen bytes) on refusal. */
static void check_message(const char *err, size_t errlen)
{
	CHECK(text_in(err, errlen));
	CHECK(err[0] != '\0');
}

/* ---- the endpoints ------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Checks the tree below @p v (at nesting level @p level, the top being 1):
 * no deeper than REQBODY_MAX_DEPTH, no object with a name given twice. */
static void check_tree(const cJSON *v, int level)
{
	const char **names;
	size_t n = 0, i = 0;

	CHECK(level <= REQBODY_MAX_DEPTH);
	for (const cJSON *c = v->child; c; c = c->next) {
		n++;
		if (cJSON_IsObject(c) || cJSON_IsArray(c))
			check_tree(c, level + 1);
	}
	if (!cJSON_IsObject(v) || n < 2)
		return;
	names = malloc(n * sizeof(*names));
	CHECK(names);
	for (const cJSON *c = v->child; c; c = c->next) {
		CHECK(c->string);
		names[i++] = c->string;
	}
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 1; i < n; i++)
		CHECK(strcmp(names[i - 1], names[i]) != 0);
	free(names);
}

/* Checks a refusal: by reqbody_parse() when @p parsed is false, else by the
 * endpoint's function, whose field is then one of @p allowed (or
 * "targets[i]", or "" for the body as a whole). */
static void check_refusal(int rc, const struct reqbody_error *err, size_t len,
                          const char *const *allowed, bool parsed)
{
	CHECK(rc == RW_EINVAL);
	CHECK(err->status == (len > REQBODY_MAX ? 413 : 400));
	CHECK(text_in(err->field, sizeof(err->field)));
	CHECK(text_in(err->detail, sizeof(err->detail)));
	CHECK(err->detail[0] != '\0');
	if (parsed && err->field[0]) {
		size_t n = strcspn(err->field, "[");
		CHECK(in_list(allowed, err->field, n));
		if (err->field[n])
			CHECK(strncmp(err->field, "targets[", 8) == 0);
	}
}

/* Checks what reqbody_parse() accepted: @p o, from @p len bytes at @p body. */
static void check_parsed(const cJSON *o, const uint8_t *body, size_t len,
                         const char *const *allowed, bool empty_ok)
{
	CHECK(o && cJSON_IsObject(o));
	CHECK(len <= REQBODY_MAX);
	CHECK(len > 0 || empty_ok);
	CHECK(len > 0 || !o->child);
	CHECK(!memchr(body, '\0', len));
	CHECK(utf8_ok((const char *)body, len, false));
	for (const cJSON *c = o->child; c; c = c->next)
		CHECK(in_list(allowed, c->string, strlen(c->string)));
	check_tree(o, 1);
}

/* The string member @p name of @p o, or NULL. */
static const char *member_str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void check_runner(const cJSON *o, bool patch, const struct req_runner *r)
{
	const cJSON *targets = cJSON_GetObjectItemCaseSensitive(o, "targets");
	char msg[320];
	size_t i = 0;

	CHECK(r->n_targets <= RUNNER_SPEC_MAX_TARGETS);
	if (targets) {
		const cJSON *c;
		CHECK(r->n_targets == (size_t)cJSON_GetArraySize(targets));
		cJSON_ArrayForEach(c, targets)
		{
			CHECK(r->targets[i++] == c->valuestring);
		}
		CHECK(spec_check_targets(r->targets, r->n_targets, msg, sizeof(msg)) == 0);
	} else {
		CHECK(patch && r->n_targets == 0);
	}
	CHECK(r->url == member_str(o, "url"));
	if (r->url)
		CHECK(spec_check_url(r->url, msg, sizeof(msg)) == 0);
	/* Absent: the policy's (0), or unchanged (-1) in a patch; given: in range. */
	if (cJSON_GetObjectItemCaseSensitive(o, "interval_s"))
		CHECK(r->interval_s >= 1 && r->interval_s <= 86400);
	else
		CHECK(r->interval_s == (patch ? -1 : 0));
	if (cJSON_GetObjectItemCaseSensitive(o, "timeout_ms"))
		CHECK(r->timeout_ms >= 100 && r->timeout_ms <= 86400000);
	else
		CHECK(r->timeout_ms == (patch ? -1 : 0));
	/* Only a GitHub pool has a source and its numbers; a patch changes none. */
	if (!r->github)
		CHECK(!r->source && !r->min_online && !r->pickup_within_s &&
		      !cJSON_GetObjectItemCaseSensitive(o, "github") &&
		      !cJSON_GetObjectItemCaseSensitive(o, "min_online") &&
		      !cJSON_GetObjectItemCaseSensitive(o, "pickup_within_s"));
	if (patch) {
		CHECK(!r->name && !r->push && !r->github);
		CHECK(r->n_targets > 0 || r->url || r->has_labels || r->interval_s != -1 ||
		      r->timeout_ms != -1);
	} else if (r->github) {
		/* A pool: a source, 1..16 labels distinct without case, no URL, no
		 * interval or timeout, the numbers in range with their defaults. */
		CHECK(r->name && r->name == member_str(o, "name"));
		CHECK(!r->push && !r->url && r->n_targets >= 1);
		CHECK(r->source && r->source == member_str(o, "github"));
		CHECK(spec_check_github("github", r->source, msg, sizeof(msg)) == 0);
		CHECK(r->has_labels && r->n_labels >= 1 && r->n_labels <= RUNNER_SPEC_MAX_TARGETS);
		for (size_t a = 0; a < r->n_labels; a++)
			for (size_t b = 0; b < a; b++)
				CHECK(strcasecmp(r->labels[a], r->labels[b]) != 0);
		CHECK(r->interval_s == 0 && r->timeout_ms == 0);
		CHECK(r->min_online >= 0 && r->min_online <= RUNNER_SPEC_MIN_ONLINE_MAX);
		CHECK(r->pickup_within_s >= 0 && r->pickup_within_s <= RUNNER_SPEC_PICKUP_MAX);
		if (!cJSON_GetObjectItemCaseSensitive(o, "min_online"))
			CHECK(r->min_online == (r->pickup_within_s ? 0 : 1));
		if (cJSON_GetObjectItemCaseSensitive(o, "pickup_within_s"))
			CHECK(r->pickup_within_s >= 1);
		else
			CHECK(r->pickup_within_s == 0);
	} else {
		CHECK(r->name && r->name == member_str(o, "name"));
		CHECK(spec_check_name("name", r->name, msg, sizeof(msg)) == 0);
		CHECK(r->n_targets >= 1);
		CHECK(r->push == !r->url);
		CHECK(spec_check_interval(r->interval_s, msg, sizeof(msg)) == 0);
		CHECK(spec_check_timeout(r->timeout_ms, msg, sizeof(msg)) == 0);
	}
}

/* Checks the typed values read by the endpoint of @p slot from @p o. */
static int run_endpoint(enum slot slot, const cJSON *o, struct reqbody_error *err)
{
	char msg[320];
	int64_t t;
	int rc;

	switch (slot) {
	case SLOT_OPERATOR: {
		struct req_operator r;
		rc = reqbody_operator(o, &r, err);
		if (rc == 0) {
			CHECK(r.name && r.name == member_str(o, "name"));
			CHECK(r.email && r.email == member_str(o, "email"));
			CHECK(spec_check_name("name", r.name, msg, sizeof(msg)) == 0);
			CHECK(spec_check_email(r.email, msg, sizeof(msg)) == 0);
		}
		return rc;
	}
	case SLOT_TOKEN: {
		struct req_token r;
		rc = reqbody_token(o, NOW_MS, &r, err);
		if (rc == 0) {
			const char *s = member_str(o, "expires");
			CHECK(s ? r.expires_ms > NOW_MS : r.expires_ms == 0);
			CHECK(!s || (rfc3339_parse(s, &t) == 0 && t == r.expires_ms));
		}
		return rc;
	}
	case SLOT_RUNNER:
	case SLOT_RUNNER_PATCH: {
		struct req_runner r;
		rc = reqbody_runner(o, slot == SLOT_RUNNER_PATCH, &r, err);
		if (rc == 0)
			check_runner(o, slot == SLOT_RUNNER_PATCH, &r);
		return rc;
	}
	case SLOT_HEARTBEAT: {
		struct req_heartbeat r;
		rc = reqbody_heartbeat(o, &r, err);
		if (rc == 0) {
			CHECK(r.busy == cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "busy")));
			CHECK(r.version == member_str(o, "version"));
			CHECK(!r.version || (r.version[0] && text_in(r.version, 129)));
			CHECK(r.jobs_running >= -1 && r.jobs_running <= 1000000);
			CHECK((r.jobs_running == -1) ==
			      !cJSON_GetObjectItemCaseSensitive(o, "jobs_running"));
		}
		return rc;
	}
	case SLOT_MAINTENANCE: {
		struct req_maintenance r;
		rc = reqbody_maintenance(o, NOW_MS, &r, err);
		if (rc == 0) {
			CHECK(rfc3339_parse(member_str(o, "from"), &t) == 0 && t == r.from_ms);
			CHECK(rfc3339_parse(member_str(o, "to"), &t) == 0 && t == r.to_ms);
			CHECK(r.from_ms < r.to_ms && r.to_ms > NOW_MS);
			CHECK(r.to_ms - r.from_ms <= MAINT_SPEC_MAX_MS);
			CHECK(r.reason && r.reason == member_str(o, "reason"));
			CHECK(r.reason[0] && text_in(r.reason, MAINT_SPEC_REASON_MAX + 1));
		}
		return rc;
	}
	case SLOT_NOTE_REQUIRED:
	case SLOT_NOTE_OPTIONAL: {
		struct req_note r;
		rc = reqbody_note(o, slot == SLOT_NOTE_REQUIRED, &r, err);
		if (rc == 0) {
			CHECK(r.note == member_str(o, "note"));
			CHECK(r.note || slot == SLOT_NOTE_OPTIONAL);
			CHECK(!r.note || (r.note[0] && text_in(r.note, MAINT_SPEC_REASON_MAX + 1)));
		}
		return rc;
	}
	default: return 0;
	}
}

/* One body through reqbody_parse() and then the endpoint of @p slot. */
static void fuzz_body(enum slot slot, bool flip, const uint8_t *body, size_t len)
{
	static const struct {
		const char *const *fields;
		bool empty_ok;
	} ep[] = {
	        [SLOT_OPERATOR] = {reqbody_operator_fields, false},
	        [SLOT_TOKEN] = {reqbody_token_fields, true},
	        [SLOT_RUNNER] = {reqbody_runner_fields, false},
	        [SLOT_RUNNER_PATCH] = {reqbody_runner_fields, false},
	        [SLOT_HEARTBEAT] = {reqbody_heartbeat_fields, true},
	        [SLOT_MAINTENANCE] = {reqbody_maintenance_fields, false},
	        [SLOT_NOTE_REQUIRED] = {reqbody_note_fields, false},
	        [SLOT_NOTE_OPTIONAL] = {reqbody_note_fields, true},
	};
	const char *const *fields = ep[slot].fields;
	bool empty_ok = ep[slot].empty_ok != flip;
	struct reqbody_error err;
	cJSON *o = &unset;
	int rc;

	memset(&err, 0xa5, sizeof(err));
	rc = reqbody_parse((const char *)body, len, fields, empty_ok, &o, &err);
	if (rc < 0) {
		CHECK(o == NULL);
		CHECK(len > 0 || !empty_ok);
		check_refusal(rc, &err, len, fields, false);
		return;
	}
	CHECK(rc == 0);
	check_parsed(o, body, len, fields, empty_ok);
	memset(&err, 0xa5, sizeof(err));
	rc = run_endpoint(slot, o, &err);
	if (rc < 0)
		check_refusal(rc, &err, len, fields, true);
	else
		CHECK(rc == 0);
	cJSON_Delete(o);
}

/* A body padded with spaces to just over (odd @p len) or exactly at (even
 * @p len) REQBODY_MAX: the size alone decides between 413 and the rest. */
static void fuzz_padded(const uint8_t *body, size_t len)
{
	size_t total = REQBODY_MAX + (len & 1);
	uint8_t *buf;

	if (len > total)
		total = len;
	buf = malloc(total);
	CHECK(buf);
	memcpy(buf, body, len);
	memset(buf + len, ' ', total - len);
	fuzz_body(SLOT_RUNNER, false, buf, total);
	free(buf);
}

/* A body where no member is allowed: only {} (or nothing) passes. */
static void fuzz_no_members(const uint8_t *body, size_t len)
{
	struct reqbody_error err;
	cJSON *o = &unset;
	int rc;

	memset(&err, 0xa5, sizeof(err));
	rc = reqbody_parse((const char *)body, len, no_fields, true, &o, &err);
	if (rc < 0) {
		CHECK(o == NULL && len > 0);
		check_refusal(rc, &err, len, no_fields, false);
		return;
	}
	check_parsed(o, body, len, no_fields, true);
	CHECK(!o->child);
	cJSON_Delete(o);
}

/* ---- the validators ----------------------------------------------------- */

/* An oracle for spec_check_name(), from runner_spec.h. */
static bool name_ok(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > RUNNER_SPEC_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool alnum =
		        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && !(i > 0 && (c == '.' || c == '_' || c == '-')))
			return false;
	}
	return true;
}

/* What spec_check_email() accepts must at least be this. */
static bool email_plausible(const char *s)
{
	const char *at = strchr(s, '@');

	if (!at || at == s || strchr(at + 1, '@') || !at[1] || strlen(s) > 254)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

/* What spec_check_targets() accepts must at least be this. */
static bool targets_plausible(const char *const *t, size_t n)
{
	if (n == 0 || n > RUNNER_SPEC_MAX_TARGETS)
		return false;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(t[i]);
		if (len == 0 || len > 64 ||
		    strspn(t[i], "abcdefghijklmnopqrstuvwxyz0123456789_.-") != len)
			return false;
		for (size_t j = 0; j < i; j++)
			if (strcmp(t[i], t[j]) == 0)
				return false;
	}
	return true;
}

/* An int64 from up to 8 bytes at *@p p, mapped into what RFC 3339 spells:
 * the only times the CLI and the API can pass. (Far outside it, to - from in
 * spec_check_maintenance() would overflow.) */
static int64_t take_ms(const uint8_t **p, size_t *left)
{
	uint64_t u = 0;

	for (int i = 0; i < 8 && *left > 0; i++, (*p)++, (*left)--)
		u = u << 8 | **p;
	return SPELLED_MIN_MS + (int64_t)(u % (uint64_t)(SPELLED_MAX_MS - SPELLED_MIN_MS + 1));
}

static void fuzz_window(const uint8_t *p, size_t left)
{
	int64_t from = take_ms(&p, &left), to = take_ms(&p, &left), now = take_ms(&p, &left);
	bool ok = from < to && to > now && to - from <= MAINT_SPEC_MAX_MS;
	char msg[320];
	int rc;

	memset(msg, 0xa5, sizeof(msg));
	rc = spec_check_maintenance(from, to, now, msg, sizeof(msg));
	CHECK(rc == (ok ? 0 : RW_EINVAL));
	if (rc < 0)
		check_message(msg, sizeof(msg));
}

/* A validator on @p s, a NUL-terminated copy of the input. */
static void fuzz_validator(enum slot slot, char *s)
{
	const char *targets[RUNNER_SPEC_MAX_TARGETS + 4];
	char msg[320];
	size_t n = 0;
	int rc = 0;

	memset(msg, 0xa5, sizeof(msg));
	switch (slot) {
	case SLOT_NAME:
		rc = spec_check_name("name", s, msg, sizeof(msg));
		CHECK((rc == 0) == name_ok(s));
		break;
	case SLOT_EMAIL:
		rc = spec_check_email(s, msg, sizeof(msg));
		CHECK(rc != 0 || email_plausible(s));
		break;
	case SLOT_URL:
		rc = spec_check_url(s, msg, sizeof(msg));
		CHECK(rc != 0 || strncasecmp(s, "http://", 7) == 0 ||
		      strncasecmp(s, "https://", 8) == 0);
		break;
	case SLOT_TARGETS:
		/* One target per line; up to 20, so that 17 can be tried. */
		for (char *line = s; n < sizeof(targets) / sizeof(targets[0]);) {
			char *nl = strchr(line, '\n');
			targets[n++] = line;
			if (!nl)
				break;
			*nl = '\0';
			line = nl + 1;
		}
		if (*s == '\0')
			n = 0;
		rc = spec_check_targets(targets, n, msg, sizeof(msg));
		CHECK(rc != 0 || targets_plausible(targets, n));
		break;
	case SLOT_REASON: {
		size_t len = strlen(s);
		rc = spec_check_reason(s, msg, sizeof(msg));
		CHECK((rc == 0) ==
		      (len >= 1 && len <= MAINT_SPEC_REASON_MAX && utf8_ok(s, len, true)));
		break;
	}
	default: break;
	}
	CHECK(rc == 0 || rc == RW_EINVAL);
	if (rc < 0)
		check_message(msg, sizeof(msg));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned sel;
	enum slot slot;
	char *s;

	if (size == 0)
		return 0;
	sel = (unsigned)(uint8_t)(data[0] - 'A');
	slot = (enum slot)(sel & 15);
	data++, size--;
	switch (slot) {
	case SLOT_NAME:
	case SLOT_EMAIL:
	case SLOT_URL:
	case SLOT_TARGETS:
	case SLOT_REASON:
		s = malloc(size + 1);
		CHECK(s);
		memcpy(s, data, size);
		s[size] = '\0';
		fuzz_validator(slot, s);
		free(s);
		break;
	case SLOT_WINDOW: fuzz_window(data, size); break;
	case SLOT_PADDED: fuzz_padded(data, size); break;
	case SLOT_NO_MEMBERS: fuzz_no_members(data, size); break;
	default: fuzz_body(slot, (sel & 16) != 0, data, size); break;
	}
	return 0;
}
