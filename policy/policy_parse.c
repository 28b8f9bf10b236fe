/* SPDX-License-Identifier: MIT */
/*
 * policy_parse.c — policy_parse(): from the bytes of a policy file to a
 * struct rw_policy, or to one line naming the file, the line, the field, the
 * bad value and what is allowed. policy_to_json() is in policy_json.c.
 *
 * Two passes over the text:
 *
 *   1. json_scan_check() (json_scan.c) rejects bad bytes and bad syntax with
 *      the exact line. What it accepts is a subset of what cJSON accepts, so
 *      once it has passed, a NULL from cJSON can only mean that cJSON ran out
 *      of memory: that is how RW_ENOMEM is told apart from a bad document.
 *   2. cJSON builds the tree and the apply_*() functions check every field
 *      against the ranges documented in policy.h. Canary URLs are checked by
 *      the caller's hook (struct policy_parse_opts): URLs are libcurl's to
 *      parse, and policy/ does not link libcurl.
 *
 * Line numbers of semantic errors. cJSON keeps no positions, so the line of
 * an offending value is found again in the raw text, along its path:
 * find_path() takes the child indices from the tree and json_scan_locate()
 * follows them through the text (exact even for duplicate keys and escaped
 * keys; see json_scan.h). Limits: the line reported is that of the member's
 * key (or, inside an array, of the element's first byte), not of a token
 * deeper inside a value that spans lines; a missing field is reported at the
 * line of the enclosing object's key, or of the opening '{' for a top-level
 * field. The walk costs one pass over the file and is made only to report an
 * error.
 *
 * Invariants: *out is policy_defaults() until the very end, and is assigned
 * a complete policy only on success. Every allocation of the policy under
 * construction is reachable from it at every moment (counts are bumped only
 * after the element is complete), so one policy_deinit() frees a partial
 * policy on any failure. No clock, no I/O, no global state; cJSON's hooks
 * belong to the caller.
 */
#include "policy/base/rw_error.h"
#include "policy/json_scan.h"
#include "policy/policy.h"
#include "policy/target.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INT_MAX_D 2147483647.0
#define PATH_LEN  192
#define KEYS(a)   a, sizeof(a) / sizeof((a)[0])

/* ---- reporting ----------------------------------------------------------- */

struct pctx {
	const char *text;
	size_t len;
	size_t root_off;
	const char *file;
	const cJSON *root;
	policy_url_check_cb *check_url; /* NULL: URLs are not checked */
	char *err;
	size_t errlen;
};

static size_t line_of(const struct pctx *c, size_t off)
{
	return json_scan_line(c->text, c->len, off);
}

/* Writes "FILE:LINE: PATH: MSG" on one line: control bytes become '?'. */
static void report(const struct pctx *c, size_t line, const char *path, const char *msg)
{
	if (!c->err || c->errlen == 0)
		return;
	if (line)
		snprintf(c->err, c->errlen, "%s:%zu: %s%s%s", c->file, line, path ? path : "",
		         path ? ": " : "", msg);
	else
		snprintf(c->err, c->errlen, "%s: %s", c->file, msg);
	for (char *q = c->err; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			*q = '?';
}

/* The child indices leading from @p node to @p want; false if not below. */
static bool find_path(const cJSON *node, const cJSON *want, int *idx, int d, int *len)
{
	int i = 0;

	if (d >= JSON_SCAN_MAX_DEPTH)
		return false;
	for (const cJSON *ch = node->child; ch; ch = ch->next, i++) {
		idx[d] = i;
		if (ch == want) {
			*len = d + 1;
			return true;
		}
		if (ch->child && find_path(ch, want, idx, d + 1, len))
			return true;
	}
	return false;
}

/*
 * Where a tree item is in the text: its key (the item itself in an array).
 * The top-level object, NULL, or an item not in the tree: the opening '{'.
 */
static struct json_scan_where locate(const struct pctx *c, const cJSON *item)
{
	int idx[JSON_SCAN_MAX_DEPTH], depth = 0;

	if (item && item != c->root)
		find_path(c->root, item, idx, 0, &depth); /* depth stays 0 if not found */
	return json_scan_locate(c->text, c->len, c->root_off, idx, depth);
}

/*
 * The item as the file wrote it, for messages: "1.5", "\"60\"", or with
 * @p kind "\"60\" (a string)", for type errors.
 */
static void describe(const struct pctx *c, const cJSON *it, bool kind, char *buf, size_t n)
{
	const char *what = kind && cJSON_IsString(it) ? " (a string)" : "";
	size_t start, len;

	if (cJSON_IsObject(it) || cJSON_IsArray(it)) {
		snprintf(buf, n, "%s", cJSON_IsObject(it) ? "an object" : "an array");
		return;
	}
	start = locate(c, it).val;
	len = json_scan_value_end(c->text, c->len, start) - start;
	if (len > 48) {
		len = 45;
		while (len > 0 && ((unsigned char)c->text[start + len] & 0xC0) == 0x80)
			len--; /* never cut a UTF-8 sequence */
		snprintf(buf, n, "%.*s...%s", (int)len, c->text + start, what);
	} else {
		snprintf(buf, n, "%.*s%s", (int)len, c->text + start, what);
	}
}

/* Reports an error at @p at (NULL: the top-level object). */
static int fail(const struct pctx *c, const cJSON *at, const char *path, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int fail(const struct pctx *c, const cJSON *at, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report(c, line_of(c, locate(c, at).key), path, msg);
	return RW_EINVAL;
}

/* ---- fields -------------------------------------------------------------- */

/* "parent.key" in buf[PATH_LEN], the key cut at 64 bytes, the whole at PATH_LEN - 1. */
static void join(char *buf, const char *parent, const char *key)
{
	size_t used = 0, k = 0;

	if (parent && *parent) {
		used = strlen(parent);
		used = used > PATH_LEN - 2 ? PATH_LEN - 2 : used;
		memcpy(buf, parent, used);
		buf[used++] = '.';
	}
	while (key[k] && k < 64 && used + k < PATH_LEN - 1)
		k++;
	while (key[k] && k > 0 && ((unsigned char)key[k] & 0xC0) == 0x80)
		k--; /* never cut a UTF-8 sequence */
	memcpy(buf + used, key, k);
	buf[used + k] = '\0';
}

static const cJSON *member(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/*
 * Checks that @p obj is an object without duplicate keys and, when @p keys is
 * not NULL, without keys outside that list.
 */
static int check_object(const struct pctx *c, const cJSON *obj, const char *path,
                        const char *const *keys, size_t nkeys)
{
	char sub[PATH_LEN], got[96], allowed[256] = "";

	if (!cJSON_IsObject(obj)) {
		describe(c, obj, true, got, sizeof(got));
		return fail(c, obj, path, "expected an object, got %s", got);
	}
	for (const cJSON *m = obj->child; m; m = m->next) {
		bool known = !keys;
		join(sub, path, m->string);
		for (const cJSON *p = obj->child; p != m; p = p->next)
			if (strcmp(p->string, m->string) == 0)
				return fail(c, m, sub, "duplicate key (first on line %zu)",
				            line_of(c, locate(c, p).key));
		for (size_t i = 0; !known && i < nkeys; i++)
			known = strcmp(m->string, keys[i]) == 0;
		if (known)
			continue;
		for (size_t i = 0; i < nkeys; i++) {
			size_t used = strlen(allowed);
			snprintf(allowed + used, sizeof(allowed) - used, "%s%s", i ? ", " : "",
			         keys[i]);
		}
		return fail(c, m, sub, "unknown key (allowed: %s)", allowed);
	}
	return 0;
}

/* True when @p v is a whole number; every double beyond 2^53 is. */
static bool is_integral(double v)
{
	if (!(v > -9007199254740992.0 && v < 9007199254740992.0))
		return true; /* huge, infinite or NaN: left to the range check */
	return v == (double)(long long)v;
}

/* llround(v * 1e6) for v in [0, 1], without libm (rw_policy links no -lm). */
static uint32_t to_ppm(double v)
{
	double y = v * 1e6;
	uint32_t whole = (uint32_t)y;

	return whole + (y - whole >= 0.5);
}

/*
 * An integral number in [lo, hi]; @p note is appended to an error above hi,
 * @p hint to every error (what the number counts, for a field whose range
 * alone does not say).
 */
static int get_int_hinted(const struct pctx *c, const cJSON *it, const char *path, double lo,
                          double hi, const char *note, const char *hint, long *out)
{
	char got[96], range[64];
	double v;

	v = cJSON_IsNumber(it) ? it->valuedouble : 0;
	if (cJSON_IsNumber(it) && is_integral(v) && v >= lo && v <= hi) {
		*out = (long)v;
		return 0;
	}
	snprintf(range, sizeof(range), "in [%.0f, %.0f]", lo, hi);
	describe(c, it, true, got, sizeof(got));
	if (!cJSON_IsNumber(it))
		return fail(c, it, path, "expected an integer %s, got %s%s", range, got, hint);
	if (!is_integral(v))
		return fail(c, it, path, "%s is not an integer (allowed: an integer %s)%s", got,
		            range, hint);
	return fail(c, it, path, "%s is not %s%s%s", got, range, v > hi ? note : "", hint);
}

/* An integral number in [lo, hi]; @p note is appended to a range error above hi. */
static int get_int(const struct pctx *c, const cJSON *it, const char *path, double lo, double hi,
                   const char *note, long *out)
{
	return get_int_hinted(c, it, path, lo, hi, note, "", out);
}

/* Optional unsigned field @p key of @p obj; left alone when absent. */
static int opt_uint(const struct pctx *c, const cJSON *obj, const char *parent, const char *key,
                    double lo, double hi, const char *note, uint32_t *out)
{
	const cJSON *it = member(obj, key);
	char path[PATH_LEN];
	long v;
	int rc;

	if (!it)
		return 0;
	join(path, parent, key);
	rc = get_int(c, it, path, lo, hi, note, &v);
	if (rc == 0)
		*out = (uint32_t)v;
	return rc;
}

/* A ratio in [0, 1], or in (0, 1] when @p open_low. */
static int get_ratio(const struct pctx *c, const cJSON *it, const char *path, bool open_low,
                     double *out, uint32_t *ppm)
{
	const char *range = open_low ? "(0, 1]" : "[0, 1]";
	char got[96];
	double v;

	v = cJSON_IsNumber(it) ? it->valuedouble : 0;
	if (cJSON_IsNumber(it) && v >= 0 && v <= 1 && !(open_low && to_ppm(v) == 0)) {
		*out = v;
		*ppm = to_ppm(v);
		return 0;
	}
	describe(c, it, true, got, sizeof(got));
	if (!cJSON_IsNumber(it))
		return fail(c, it, path, "expected a number in %s, got %s", range, got);
	if (!(v >= 0 && v <= 1) || v == 0)
		return fail(c, it, path, "%s is not in %s", got, range);
	return fail(c, it, path, "%s rounds to 0 ppm (allowed: (0, 1], at least 0.000001)", got);
}

static int opt_ratio(const struct pctx *c, const cJSON *obj, const char *parent, const char *key,
                     bool open_low, double *out, uint32_t *ppm)
{
	const cJSON *it = member(obj, key);
	char path[PATH_LEN];

	if (!it)
		return 0;
	join(path, parent, key);
	return get_ratio(c, it, path, open_low, out, ppm);
}

/* Required string field: *out is the item. */
static int need_string(const struct pctx *c, const cJSON *obj, const char *parent, const char *key,
                       const char *what, const cJSON **out)
{
	char path[PATH_LEN], got[96];

	join(path, parent, key);
	*out = member(obj, key);
	if (!*out)
		return fail(c, obj, path, "missing (required: %s)", what);
	if (!cJSON_IsString(*out)) {
		describe(c, *out, true, got, sizeof(got));
		return fail(c, *out, path, "expected %s, got %s", what, got);
	}
	return 0;
}

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

/* ---- sections ------------------------------------------------------------ */

static const char *const top_keys[] = {
        "version", "uptime_floor", "tiers",       "targets",        "probe",     "push", "vantage",
        "window",  "flagging",     "maintenance", "service_window", "blindness", "pool", "github"};
static const char *const tier_keys[] = {"uptime_floor"};
static const char *const probe_keys[] = {"interval_s", "timeout_ms", "failures_to_down",
                                         "successes_to_up"};
static const char *const push_keys[] = {"grace_s"};
static const char *const vantage_keys[] = {"quorum"};
static const char *const window_keys[] = {"rolling_days", "min_coverage"};
static const char *const flagging_keys[] = {"restore_margin", "probation_days"};
static const char *const maintenance_keys[] = {"min_notice_h", "max_h_per_month"};
static const char *const service_keys[] = {"weekly"};
static const char *const span_keys[] = {"days", "from", "to"};
static const char *const blindness_keys[] = {"fraction", "min_runners", "canaries"};
static const char *const pool_keys[] = {"min_runners"};
static const char *const github_keys[] = {"member_retention_days"};
static const char *const day_names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static int cmp_tier(const void *a, const void *b)
{
	int x = ((const struct rw_policy_tier *)a)->tier,
	    y = ((const struct rw_policy_tier *)b)->tier;

	return (x > y) - (x < y);
}

static int cmp_target(const void *a, const void *b)
{
	return strcmp(((const struct rw_policy_target *)a)->triple,
	              ((const struct rw_policy_target *)b)->triple);
}

static int apply_tiers(const struct pctx *c, const cJSON *obj, struct rw_policy *p)
{
	size_t n = (size_t)cJSON_GetArraySize(obj);
	char path[PATH_LEN], sub[PATH_LEN];
	int rc = check_object(c, obj, "tiers", NULL, 0);

	if (rc < 0 || n == 0)
		return rc;
	p->tiers = calloc(n, sizeof(*p->tiers));
	if (!p->tiers)
		return RW_ENOMEM;
	for (const cJSON *m = obj->child; m; m = m->next) {
		struct rw_policy_tier *t = &p->tiers[p->n_tiers];
		const cJSON *fl;

		join(path, "tiers", m->string);
		if (strlen(m->string) != 1 || m->string[0] < '1' || m->string[0] > '9')
			return fail(c, m, path, "\"%.64s\" is not a tier (allowed: \"1\" to \"9\")",
			            m->string);
		rc = check_object(c, m, path, KEYS(tier_keys));
		if (rc < 0)
			return rc;
		fl = member(m, "uptime_floor");
		join(sub, path, "uptime_floor");
		if (!fl)
			return fail(c, m, sub, "missing (required: a number in [0, 1])");
		rc = get_ratio(c, fl, sub, false, &t->uptime_floor, &t->floor_ppm);
		if (rc < 0)
			return rc;
		t->tier = m->string[0] - '0';
		p->n_tiers++;
	}
	qsort(p->tiers, p->n_tiers, sizeof(*p->tiers), cmp_tier);
	return 0;
}

static int apply_targets(const struct pctx *c, const cJSON *obj, struct rw_policy *p)
{
	size_t n = (size_t)cJSON_GetArraySize(obj);
	char path[PATH_LEN];
	int rc = check_object(c, obj, "targets", NULL, 0);

	if (rc < 0 || n == 0)
		return rc;
	p->targets = calloc(n, sizeof(*p->targets));
	if (!p->targets)
		return RW_ENOMEM;
	for (const cJSON *m = obj->child; m; m = m->next) {
		struct rw_policy_target *t = &p->targets[p->n_targets];
		long tier;

		join(path, "targets", m->string);
		if (!target_is_valid(m->string))
			return fail(
			        c, m, path,
			        "\"%.64s\" is not a target triple (allowed: 2 to 4 parts joined "
			        "by '-', of [a-z0-9_.], at most 64 bytes)",
			        m->string);
		rc = get_int(c, m, path, 1, 9, "", &tier);
		if (rc < 0)
			return rc;
		t->triple = dup_str(m->string);
		if (!t->triple)
			return RW_ENOMEM;
		t->tier = (int)tier;
		p->n_targets++;
	}
	qsort(p->targets, p->n_targets, sizeof(*p->targets), cmp_target);
	return 0;
}

static int apply_probe(const struct pctx *c, const cJSON *obj, struct rw_policy *p)
{
	int rc = check_object(c, obj, "probe", KEYS(probe_keys));
	uint32_t max_timeout;

	if (rc == 0)
		rc = opt_uint(c, obj, "probe", "interval_s", 1, 86400, "", &p->probe.interval_s);
	if (rc < 0)
		return rc;
	/* The default timeout (10 s) shrinks to fit a shorter interval. */
	max_timeout = p->probe.interval_s * 1000;
	if (p->probe.timeout_ms > max_timeout)
		p->probe.timeout_ms = max_timeout;
	rc = opt_uint(c, obj, "probe", "timeout_ms", 100, max_timeout,
	              " (at most probe.interval_s * 1000)", &p->probe.timeout_ms);
	if (rc == 0)
		rc = opt_uint(c, obj, "probe", "failures_to_down", 1, 100, "",
		              &p->probe.failures_to_down);
	if (rc == 0)
		rc = opt_uint(c, obj, "probe", "successes_to_up", 1, 100, "",
		              &p->probe.successes_to_up);
	return rc;
}

/* "mon-fri", "sat,sun", "mon-wed,fri": ranges go forward, mon..sun. */
static bool parse_days(const char *s, uint8_t *out)
{
	unsigned mask = 0;

	for (;;) {
		int a = -1, b;
		for (int d = 0; d < 7; d++)
			if (strncmp(s, day_names[d], 3) == 0)
				a = d;
		if (a < 0)
			return false;
		s += 3;
		b = a;
		if (*s == '-') {
			b = -1;
			for (int d = 0; d < 7; d++)
				if (strncmp(s + 1, day_names[d], 3) == 0)
					b = d;
			if (b < a)
				return false;
			s += 4;
		}
		for (int d = a; d <= b; d++)
			mask |= 1u << d;
		if (*s == '\0')
			break;
		if (*s++ != ',')
			return false;
	}
	*out = (uint8_t)mask;
	return true;
}

static bool is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

/* "HH:MM" in 00:00..23:59, or "24:00" when @p end_of_day is allowed. */
static bool parse_hhmm(const char *s, bool end_of_day, uint16_t *out)
{
	int h, m;

	if (strlen(s) != 5 || !is_digit(s[0]) || !is_digit(s[1]) || s[2] != ':' ||
	    !is_digit(s[3]) || !is_digit(s[4]))
		return false;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && (m != 0 || !end_of_day)))
		return false;
	*out = (uint16_t)(h * 60 + m);
	return true;
}

static int apply_span(const struct pctx *c, const cJSON *el, const char *path,
                      struct rw_policy_span *span)
{
	const cJSON *days, *from, *to;
	char sub[PATH_LEN], got[96];
	bool is_time;
	int rc = check_object(c, el, path, KEYS(span_keys));

	if (rc == 0)
		rc = need_string(c, el, path, "days", "a string of days like \"mon-fri\"", &days);
	if (rc == 0)
		rc = need_string(c, el, path, "from", "a string \"HH:MM\"", &from);
	if (rc == 0)
		rc = need_string(c, el, path, "to", "a string \"HH:MM\"", &to);
	if (rc < 0)
		return rc;
	if (!parse_days(days->valuestring, &span->days)) {
		join(sub, path, "days");
		describe(c, days, false, got, sizeof(got));
		return fail(
		        c, days, sub,
		        "%s is not a list of days (allowed: mon, tue, wed, thu, fri, sat, sun and "
		        "forward ranges like mon-fri, joined by commas: \"mon-wed,fri\")",
		        got);
	}
	if (!parse_hhmm(from->valuestring, false, &span->from_min)) {
		join(sub, path, "from");
		describe(c, from, false, got, sizeof(got));
		return fail(c, from, sub, "%s is not a time (allowed: \"00:00\" to \"23:59\")",
		            got);
	}
	is_time = parse_hhmm(to->valuestring, true, &span->to_min);
	if (is_time && span->to_min > span->from_min)
		return 0;
	join(sub, path, "to");
	describe(c, to, false, got, sizeof(got));
	if (!is_time)
		return fail(c, to, sub, "%s is not a time (allowed: \"00:00\" to \"24:00\")", got);
	return fail(c, to, sub,
	            "%s is not after from \"%s\" (split a span that crosses midnight in two, "
	            "ending at \"24:00\")",
	            got, from->valuestring);
}

static int apply_service_window(const struct pctx *c, const cJSON *obj, struct rw_policy *p)
{
	const cJSON *weekly;
	char path[PATH_LEN], got[96];
	size_t n;
	int rc = check_object(c, obj, "service_window", KEYS(service_keys));

	if (rc < 0 || !(weekly = member(obj, "weekly")))
		return rc;
	if (!cJSON_IsArray(weekly)) {
		describe(c, weekly, true, got, sizeof(got));
		return fail(c, weekly, "service_window.weekly",
		            "expected an array of {\"days\", \"from\", \"to\"} objects, got %s",
		            got);
	}
	n = (size_t)cJSON_GetArraySize(weekly);
	if (n == 0)
		return 0;
	p->service_spans = calloc(n, sizeof(*p->service_spans));
	if (!p->service_spans)
		return RW_ENOMEM;
	for (const cJSON *el = weekly->child; el; el = el->next) {
		snprintf(path, sizeof(path), "service_window.weekly[%zu]", p->n_service_spans);
		rc = apply_span(c, el, path, &p->service_spans[p->n_service_spans]);
		if (rc < 0)
			return rc;
		p->n_service_spans++;
	}
	return 0;
}

/* Every error of vantage.quorum says what it counts: its range alone does not. */
#define QUORUM_HINT                                                                                \
	"; it counts vantage points (daemons of `runwarden serve --vantage NAME` on one "          \
	"PostgreSQL database) that must hold a runner down; 1, the default, is any one"

static int apply_vantage(const struct pctx *c, const cJSON *obj, struct rw_policy *p)
{
	const cJSON *it;
	long v;
	int rc = check_object(c, obj, "vantage", KEYS(vantage_keys));

	if (rc < 0 || !(it = member(obj, "quorum")))
		return rc;
	rc = get_int_hinted(c, it, "vantage.quorum", 1, 64, "", QUORUM_HINT, &v);
	if (rc == 0)
		p->vantage.quorum = (uint32_t)v;
	return rc;
}

static int apply_blindness(const struct pctx *c, const cJSON *obj, struct rw_policy *p)
{
	const cJSON *list;
	char path[PATH_LEN], got[96];
	size_t n;
	int rc = check_object(c, obj, "blindness", KEYS(blindness_keys));

	if (rc == 0)
		rc = opt_ratio(c, obj, "blindness", "fraction", true, &p->blindness.fraction,
		               &p->blindness.fraction_ppm);
	if (rc == 0)
		rc = opt_uint(c, obj, "blindness", "min_runners", 1, 1000000, "",
		              &p->blindness.min_runners);
	if (rc < 0 || !(list = member(obj, "canaries")))
		return rc;
	if (!cJSON_IsArray(list)) {
		describe(c, list, true, got, sizeof(got));
		return fail(c, list, "blindness.canaries",
		            "expected an array of http(s) URL strings, got %s", got);
	}
	n = (size_t)cJSON_GetArraySize(list);
	if (n == 0)
		return 0;
	p->blindness.canaries = calloc(n, sizeof(*p->blindness.canaries));
	if (!p->blindness.canaries)
		return RW_ENOMEM;
	for (const cJSON *el = list->child; el; el = el->next) {
		char **slot = &p->blindness.canaries[p->blindness.n_canaries], why[256] = "";

		snprintf(path, sizeof(path), "blindness.canaries[%zu]", p->blindness.n_canaries);
		if (!cJSON_IsString(el)) {
			describe(c, el, false, got, sizeof(got));
			return fail(c, el, path,
			            "%s is not a string (allowed: an http:// or https:// URL)",
			            got);
		}
		rc = c->check_url ? c->check_url(el->valuestring, why, sizeof(why)) : 0;
		if (rc == RW_ENOMEM)
			return rc;
		if (rc < 0) {
			describe(c, el, false, got, sizeof(got));
			return fail(c, el, path, "%s: %s", got, why);
		}
		*slot = dup_str(el->valuestring);
		if (!*slot)
			return RW_ENOMEM;
		p->blindness.n_canaries++;
	}
	return 0;
}

static int apply(const struct pctx *c, struct rw_policy *p)
{
	const cJSON *root = c->root, *it;
	long version;
	int rc = check_object(c, root, "", KEYS(top_keys));

	if (rc < 0)
		return rc;
	it = member(root, "version");
	if (!it)
		return fail(c, NULL, "version", "missing (required: an integer >= 1)");
	rc = get_int(c, it, "version", 1, INT_MAX_D, "", &version);
	if (rc < 0)
		return rc;
	p->version = (int)version;
	rc = opt_ratio(c, root, "", "uptime_floor", false, &p->uptime_floor, &p->floor_ppm);
	if (rc == 0 && (it = member(root, "tiers")))
		rc = apply_tiers(c, it, p);
	if (rc == 0 && (it = member(root, "targets")))
		rc = apply_targets(c, it, p);
	if (rc == 0 && (it = member(root, "probe")))
		rc = apply_probe(c, it, p);
	if (rc == 0 && (it = member(root, "push"))) {
		rc = check_object(c, it, "push", KEYS(push_keys));
		if (rc == 0)
			rc = opt_uint(c, it, "push", "grace_s", 0, 86400, "", &p->push.grace_s);
	}
	if (rc == 0 && (it = member(root, "vantage")))
		rc = apply_vantage(c, it, p);
	if (rc == 0 && (it = member(root, "window"))) {
		rc = check_object(c, it, "window", KEYS(window_keys));
		if (rc == 0)
			rc = opt_uint(c, it, "window", "rolling_days", 1, 366, "",
			              &p->window.rolling_days);
		if (rc == 0)
			rc = opt_ratio(c, it, "window", "min_coverage", false,
			               &p->window.min_coverage, &p->window.min_coverage_ppm);
	}
	if (rc == 0 && (it = member(root, "flagging"))) {
		rc = check_object(c, it, "flagging", KEYS(flagging_keys));
		if (rc == 0)
			rc = opt_ratio(c, it, "flagging", "restore_margin", false,
			               &p->flagging.restore_margin,
			               &p->flagging.restore_margin_ppm);
		if (rc == 0)
			rc = opt_uint(c, it, "flagging", "probation_days", 0, 366, "",
			              &p->flagging.probation_days);
	}
	if (rc == 0 && (it = member(root, "maintenance"))) {
		rc = check_object(c, it, "maintenance", KEYS(maintenance_keys));
		if (rc == 0)
			rc = opt_uint(c, it, "maintenance", "min_notice_h", 0, 8760, "",
			              &p->maintenance.min_notice_h);
		if (rc == 0)
			rc = opt_uint(c, it, "maintenance", "max_h_per_month", 0, 744, "",
			              &p->maintenance.max_h_per_month);
	}
	if (rc == 0 && (it = member(root, "service_window")))
		rc = apply_service_window(c, it, p);
	if (rc == 0 && (it = member(root, "blindness")))
		rc = apply_blindness(c, it, p);
	if (rc == 0 && (it = member(root, "pool"))) {
		rc = check_object(c, it, "pool", KEYS(pool_keys));
		if (rc == 0)
			rc = opt_uint(c, it, "pool", "min_runners", 0, 100000, "",
			              &p->pool.min_runners);
	}
	if (rc == 0 && (it = member(root, "github"))) {
		rc = check_object(c, it, "github", KEYS(github_keys));
		if (rc == 0)
			rc = opt_uint(c, it, "github", "member_retention_days", 1, 366, "",
			              &p->github.member_retention_days);
	}
	return rc;
}

int policy_parse(struct rw_policy *out, const char *text, size_t len, const char *filename,
                 const struct policy_parse_opts *opts, char *err, size_t errlen)
{
	struct pctx c = {.text = text ? text : "",
	                 .len = text ? len : 0,
	                 .file = filename ? filename : "policy",
	                 .check_url = opts ? opts->check_url : NULL,
	                 .err = err,
	                 .errlen = errlen};
	struct json_scan_error syntax;
	struct rw_policy p;
	cJSON *root;
	int rc;

	policy_defaults(out);
	if (err && errlen)
		err[0] = '\0';
	if (!json_scan_check(c.text, c.len, &c.root_off, &syntax)) {
		report(&c, line_of(&c, syntax.pos), NULL, syntax.msg);
		return RW_EINVAL;
	}
	/* Pass 1 accepted the text, so a NULL here means cJSON's malloc failed. */
	root = cJSON_ParseWithLengthOpts(c.text, c.len, NULL, 0);
	if (!root || !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		report(&c, 0, NULL, "out of memory while parsing");
		return RW_ENOMEM;
	}
	c.root = root;
	policy_defaults(&p);
	rc = apply(&c, &p);
	cJSON_Delete(root);
	if (rc < 0) {
		if (rc == RW_ENOMEM)
			report(&c, 0, NULL, "out of memory while parsing");
		policy_deinit(&p);
		return rc;
	}
	*out = p;
	return 0;
}
