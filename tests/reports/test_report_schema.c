/* SPDX-License-Identifier: MIT */
/*
 * test_report_schema.c — the monthly report's outputs are usable by programs:
 *  - the JSON validates against contrib/schema/report.schema.json (with
 *    schema_check.h, which is itself tested here: it must reject a wrong
 *    type, a missing or extra member, a bad pattern, enum or bound, and a
 *    schema keyword it does not implement), for every golden month (one
 *    with GitHub pools), an operator filter, --stamp and a partial month;
 *    and it agrees with the CSV on every runner's figures, GitHub pools'
 *    figures included;
 *  - the CSV parses as RFC 4180 (a strict parser below: CRLF records, quoted
 *    fields with doubled quotes, the same number of fields in every record),
 *    including names that need quoting.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_fixture.h"
#include "schema_check.h"

static cJSON *load_schema(void)
{
	char path[512];
	char *text;
	cJSON *schema;

	snprintf(path, sizeof(path), "%s/contrib/schema/report.schema.json", RW_SOURCE_DIR);
	text = rwt_slurp(path, NULL);
	assert_non_null(text);
	schema = cJSON_Parse(text);
	free(text);
	assert_non_null(schema);
	return schema;
}

static void assert_valid(const cJSON *schema, const cJSON *doc, const char *what)
{
	char err[512];

	if (schema_check(schema, doc, err, sizeof(err)) != 0)
		fail_msg("%s does not validate: %s", what, err);
}

static void assert_invalid(const cJSON *schema, const cJSON *doc, const char *needle)
{
	char err[512];

	assert_int_equal(schema_check(schema, doc, err, sizeof(err)), -1);
	if (!strstr(err, needle))
		fail_msg("expected an error about \"%s\", got: %s", needle, err);
}

/* ---- the validator itself ------------------------------------------------- */

static void test_validator_rejects(void **state)
{
	static const char schema_text[] =
	        "{ \"type\": \"object\", \"additionalProperties\": false, \"required\": [\"a\"],"
	        "  \"properties\": {"
	        "    \"a\": { \"type\": \"integer\", \"minimum\": 0, \"maximum\": 10 },"
	        "    \"b\": { \"type\": [\"string\", \"null\"], \"pattern\": \"^x[0-9]+$\" },"
	        "    \"c\": { \"type\": \"array\", \"minItems\": 1, \"items\": { \"$ref\": "
	        "\"#/$defs/e\" } },"
	        "    \"d\": { \"const\": 1 } },"
	        "  \"$defs\": { \"e\": { \"enum\": [\"PASS\", \"FAIL\"] } } }";
	static const struct {
		const char *doc, *error;
	} bad[] = {
	        {"{\"b\": null}", "the required member \"a\" is missing"},
	        {"{\"a\": 1, \"z\": 2}", "the member \"z\" is not allowed"},
	        {"{\"a\": 1.5}", "$.a: a number is not of type integer"},
	        {"{\"a\": \"1\"}", "$.a: a string is not of type integer"},
	        {"{\"a\": -1}", "below the minimum"},
	        {"{\"a\": 11}", "above the maximum"},
	        {"{\"a\": 1, \"b\": \"y1\"}", "does not match the pattern"},
	        {"{\"a\": 1, \"b\": 3}", "not one of the listed types"},
	        {"{\"a\": 1, \"c\": []}", "fewer than minItems"},
	        {"{\"a\": 1, \"c\": [\"PASS\", \"MAYBE\"]}",
	         "$.c[1]: \"MAYBE\" is not one of the enum"},
	        {"{\"a\": 1, \"d\": 2}", "is not the constant"},
	};
	cJSON *schema = cJSON_Parse(schema_text), *doc, *odd;
	char err[256];

	(void)state;
	assert_non_null(schema);
	doc = cJSON_Parse("{\"a\": 3, \"b\": \"x12\", \"c\": [\"FAIL\"], \"d\": 1}");
	assert_valid(schema, doc, "a good document");
	cJSON_Delete(doc);
	doc = cJSON_Parse("{\"a\": 0, \"b\": null}");
	assert_valid(schema, doc, "null where null is allowed");
	cJSON_Delete(doc);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		doc = cJSON_Parse(bad[i].doc);
		assert_non_null(doc);
		assert_invalid(schema, doc, bad[i].error);
		cJSON_Delete(doc);
	}
	cJSON_Delete(schema);

	/* A keyword it does not implement is an error, never ignored. */
	odd = cJSON_Parse("{ \"type\": \"string\", \"format\": \"date-time\" }");
	doc = cJSON_Parse("\"x\"");
	assert_int_equal(schema_check(odd, doc, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unsupported keyword \"format\""));
	cJSON_Delete(odd);
	odd = cJSON_Parse("{ \"$ref\": \"other.json#/x\" }");
	assert_int_equal(schema_check(odd, doc, err, sizeof(err)), -1);
	cJSON_Delete(odd);
	cJSON_Delete(doc);
}

/* ---- the report's JSON ------------------------------------------------------- */

static cJSON *render_json(const struct monthly *m)
{
	char *text = rfx_render(m, REPORT_JSON, NULL);
	cJSON *doc = cJSON_Parse(text);

	assert_non_null(doc);
	free(text);
	return doc;
}

static void test_golden_json_validates(void **state)
{
	static const char *const names[] = {"monthly-2024-02.json", "monthly-2024-03.json",
	                                    "monthly-github-2024-06.json"};
	cJSON *schema = load_schema();

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[512], *text;
		cJSON *doc, *runner, *pools;

		snprintf(path, sizeof(path), "%s/tests/reports/golden/%s", RW_SOURCE_DIR, names[i]);
		text = rwt_slurp(path, NULL);
		assert_non_null(text);
		doc = cJSON_Parse(text);
		free(text);
		assert_non_null(doc);
		assert_valid(schema, doc, names[i]);

		/* The schema has teeth on the real document too. */
		runner = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "runners"), 0);
		cJSON_ReplaceItemInObject(runner, "uptime", cJSON_CreateNumber(1.5));
		assert_invalid(schema, doc, "$.runners[0].uptime: 1.5 is above the maximum 1");
		cJSON_ReplaceItemInObject(runner, "uptime", cJSON_CreateNull());
		cJSON_ReplaceItemInObject(runner, "verdict", cJSON_CreateString("OK"));
		assert_invalid(schema, doc, "$.runners[0].verdict");
		cJSON_ReplaceItemInObject(runner, "verdict", cJSON_CreateString("PASS"));
		cJSON_AddNumberToObject(doc, "extra", 1);
		assert_invalid(schema, doc, "the member \"extra\" is not allowed");
		cJSON_DeleteItemFromObject(doc, "extra");
		pools = cJSON_GetObjectItem(doc, "github_pools");
		if (pools) {
			cJSON *p = cJSON_GetArrayItem(pools, 0);
			cJSON *jobs = cJSON_GetObjectItem(p, "jobs");
			cJSON_ReplaceItemInObject(jobs, "queued", cJSON_CreateNumber(-1));
			assert_invalid(schema, doc,
			               "$.github_pools[0].jobs.queued: -1 is below the minimum 0");
			cJSON_ReplaceItemInObject(jobs, "queued", cJSON_CreateNumber(8));
			cJSON_ReplaceItemInObject(p, "source", cJSON_CreateString("a/b/c"));
			assert_invalid(schema, doc, "$.github_pools[0].source");
			cJSON_ReplaceItemInObject(p, "source", cJSON_CreateString("acme"));
			cJSON_DeleteItemFromObject(p, "members");
			assert_invalid(schema, doc, "the required member \"members\" is missing");
		}
		cJSON_DeleteItemFromObject(doc, "summary");
		assert_invalid(schema, doc, "the required member \"summary\" is missing");
		cJSON_Delete(doc);
	}
	cJSON_Delete(schema);
}

/* Variants the golden files do not show: an operator filter, --stamp, a
 * partial month, a database with no policy and no rollups. */
static void test_variants_validate(void **state)
{
	struct rfx *f = *state;
	cJSON *schema = load_schema(), *doc;
	struct policy_source ps;
	struct monthly m;
	struct monthly_opts o = {.stamp = true, .operator_name = "globex"};
	char err[256];

	rfx_build_history(f);
	o.month_start_ms = rfx_ms(2024, 3, 1, 0, 0);
	o.month_end_ms = rfx_ms(2024, 4, 1, 0, 0);
	o.now_ms = rfx_ms(2024, 3, 20, 8, 30); /* before the last tick: partial */
	policy_source_init(&ps);
	assert_int_equal(policy_source_at(&ps, f->st, o.month_end_ms, err, sizeof(err)), 0);
	assert_int_equal(monthly_run(f->st, &ps, &o, &m, err, sizeof(err)), 0);
	assert_true(m.partial);
	doc = render_json(&m);
	assert_valid(schema, doc, "a stamped, partial, filtered report");
	assert_string_equal(cJSON_GetObjectItem(doc, "generated")->valuestring,
	                    "2024-03-20T08:30:00.000Z");
	assert_string_equal(cJSON_GetObjectItem(doc, "operator")->valuestring, "globex");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "runners")), 1);
	cJSON_Delete(doc);
	monthly_deinit(&m);
	policy_source_deinit(&ps);
	cJSON_Delete(schema);
}

/* ---- CSV ------------------------------------------------------------------------ */

struct csv {
	char ***rows; /* rows[r][c] */
	size_t n_rows, n_cols;
};

static void csv_free(struct csv *c)
{
	for (size_t r = 0; r < c->n_rows; r++) {
		for (size_t k = 0; k < c->n_cols; k++)
			free(c->rows[r][k]);
		free(c->rows[r]);
	}
	free(c->rows);
}

/* Parses RFC 4180 strictly; fails the test on any deviation. */
static void csv_parse(const char *s, struct csv *out)
{
	size_t cap_rows = 0, cols = 0;
	char **row = NULL;

	memset(out, 0, sizeof(*out));
	while (*s) {
		char *field = malloc(strlen(s) + 1);
		size_t n = 0;
		assert_non_null(field);
		if (*s == '"') {
			for (s++;; s++) {
				assert_true(*s != '\0'); /* an unterminated quoted field */
				if (*s == '"' && s[1] == '"') {
					field[n++] = '"';
					s++;
				} else if (*s == '"') {
					s++;
					break;
				} else {
					field[n++] = *s;
				}
			}
		} else {
			for (; *s && *s != ',' && *s != '\r'; s++) {
				assert_true(*s != '"' && *s != '\n');
				field[n++] = *s;
			}
		}
		field[n] = '\0';
		row = realloc(row, (cols + 1) * sizeof(*row));
		assert_non_null(row);
		row[cols++] = field;
		if (*s == ',') {
			s++;
			assert_true(*s != '\0'); /* a record cannot end in a comma here */
			continue;
		}
		assert_true(s[0] == '\r' && s[1] == '\n'); /* CRLF ends every record */
		s += 2;
		if (out->n_rows == 0)
			out->n_cols = cols;
		assert_int_equal(cols, out->n_cols);
		if (out->n_rows == cap_rows) {
			cap_rows = cap_rows ? cap_rows * 2 : 16;
			out->rows = realloc(out->rows, cap_rows * sizeof(*out->rows));
			assert_non_null(out->rows);
		}
		out->rows[out->n_rows++] = row;
		row = NULL;
		cols = 0;
	}
	assert_null(row);
}

static size_t col(const struct csv *c, const char *name)
{
	for (size_t k = 0; k < c->n_cols; k++)
		if (strcmp(c->rows[0][k], name) == 0)
			return k;
	fail_msg("no CSV column %s", name);
	return 0;
}

/* The CSV and the JSON say the same of every runner. */
static void test_csv_parses_and_agrees(void **state)
{
	struct rfx *f = *state;
	struct policy_source ps;
	struct monthly m;
	struct csv c;
	char *text;
	cJSON *doc, *runners;

	rfx_build_history(f);
	rfx_monthly(f, 2024, 2, rfx_ms(2024, 4, 10, 0, 0), NULL, &ps, 0, &m);
	text = rfx_render(&m, REPORT_CSV, NULL);
	csv_parse(text, &c);
	free(text);
	doc = render_json(&m);
	runners = cJSON_GetObjectItem(doc, "runners");
	assert_int_equal(c.n_rows, m.n_runners + 1);
	assert_int_equal(c.n_cols, 31);
	for (size_t r = 1; r < c.n_rows; r++) {
		const cJSON *j = cJSON_GetArrayItem(runners, (int)r - 1);
		static const char *const same_ms[] = {
		        "up_ms",      "down_ms",           "maintenance_ms",
		        "unknown_ms", "outside_window_ms", "not_registered_ms"};
		char want[64];
		assert_string_equal(c.rows[r][col(&c, "runner")],
		                    cJSON_GetObjectItem(j, "name")->valuestring);
		assert_string_equal(c.rows[r][col(&c, "verdict")],
		                    cJSON_GetObjectItem(j, "verdict")->valuestring);
		for (size_t k = 0; k < sizeof(same_ms) / sizeof(same_ms[0]); k++) {
			snprintf(want, sizeof(want), "%.0f",
			         cJSON_GetObjectItem(j, same_ms[k])->valuedouble);
			assert_string_equal(c.rows[r][col(&c, same_ms[k])], want);
		}
		if (cJSON_IsNull(cJSON_GetObjectItem(j, "uptime")))
			assert_string_equal(c.rows[r][col(&c, "uptime")], "");
		else
			assert_true(strtod(c.rows[r][col(&c, "uptime")], NULL) ==
			            cJSON_GetObjectItem(j, "uptime")->valuedouble);
	}
	assert_string_equal(c.rows[1][col(&c, "runner")], "arm-delta");
	assert_string_equal(c.rows[1][col(&c, "from")], "2024-02-10T12:00:00.000Z");
	csv_free(&c);
	cJSON_Delete(doc);
	monthly_deinit(&m);
	policy_source_deinit(&ps);
}

/* "" for null, else the number as the CSV writes it. */
static void csv_of(const cJSON *v, char *out, size_t len)
{
	if (cJSON_IsNull(v))
		snprintf(out, len, "%s", "");
	else if (v->valuedouble == (double)(int64_t)v->valuedouble)
		snprintf(out, len, "%.0f", v->valuedouble);
	else
		snprintf(out, len, "%g", v->valuedouble);
}

/* With GitHub pools: 12 more columns, which say what github_pools says, and
 * each member's pool. */
static void test_csv_github_agrees(void **state)
{
	static const char *const keys[][2] = {{"queued", "jobs_queued"},
	                                      {"started_within", "jobs_started_within"},
	                                      {"started_within_share", "jobs_started_within_share"},
	                                      {"queue_wait_p50_ms", "queue_wait_p50_ms"},
	                                      {"queue_wait_p95_ms", "queue_wait_p95_ms"},
	                                      {"queue_wait_max_ms", "queue_wait_max_ms"}};
	struct rfx *f = *state;
	struct policy_source ps;
	struct monthly m;
	struct csv c;
	char *text, want[64];
	cJSON *doc;
	const cJSON *p, *j;
	size_t pools = 0, members = 0;

	rfx_build_github(f);
	rfx_monthly(f, 2024, 6, rfx_ms(2024, 7, 10, 0, 0), NULL, &ps, 0, &m);
	text = rfx_render(&m, REPORT_CSV, NULL);
	csv_parse(text, &c);
	free(text);
	doc = render_json(&m);
	assert_int_equal(c.n_rows, m.n_runners + 1);
	assert_int_equal(c.n_cols, 43);
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(doc, "github_pools"))
	{
		const char *name = cJSON_GetObjectItem(p, "name")->valuestring;
		const cJSON *jobs = cJSON_GetObjectItem(p, "jobs");
		size_t r = 1;
		while (r < c.n_rows && strcmp(c.rows[r][col(&c, "runner")], name) != 0)
			r++;
		assert_true(r < c.n_rows);
		assert_string_equal(c.rows[r][col(&c, "github")],
		                    cJSON_GetObjectItem(p, "source")->valuestring);
		assert_string_equal(c.rows[r][col(&c, "pool")], "");
		csv_of(cJSON_GetObjectItem(p, "members"), want, sizeof(want));
		assert_string_equal(c.rows[r][col(&c, "members")], want);
		csv_of(cJSON_GetObjectItem(p, "pickup_within_s"), want, sizeof(want));
		assert_string_equal(c.rows[r][col(&c, "pickup_within_s")], want);
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			if (cJSON_IsNull(jobs))
				snprintf(want, sizeof(want), "%s", "");
			else
				csv_of(cJSON_GetObjectItem(jobs, keys[k][0]), want, sizeof(want));
			assert_string_equal(c.rows[r][col(&c, keys[k][1])], want);
		}
		pools++;
	}
	assert_int_equal(pools, 3);
	cJSON_ArrayForEach(j, cJSON_GetObjectItem(doc, "runners"))
	{
		const cJSON *pool = cJSON_GetObjectItem(j, "pool");
		size_t r = 1;
		while (r < c.n_rows && strcmp(c.rows[r][col(&c, "runner")],
		                              cJSON_GetObjectItem(j, "name")->valuestring) != 0)
			r++;
		assert_true(r < c.n_rows);
		assert_string_equal(c.rows[r][col(&c, "pool")], pool ? pool->valuestring : "");
		members += pool != NULL;
	}
	assert_int_equal(members, 5);
	csv_free(&c);
	cJSON_Delete(doc);
	monthly_deinit(&m);
	policy_source_deinit(&ps);
}

/* Names that need quoting survive the round trip. */
static void test_csv_quoting(void **state)
{
	static const char *const hard = "Smith, \"Junior\"\r\nOps";
	struct rfx *f = *state;
	struct store_runner r;
	struct policy_source ps;
	struct monthly m;
	struct csv c;
	uint8_t tok[32] = {7};
	char *targets[] = {(char *)RFX_RISCV, (char *)RFX_S390X}, *text;
	int64_t op = 0, ms = rfx_ms(2024, 2, 1, 0, 0);

	assert_int_equal(store_operator_add(f->st, hard, "x@example.org", tok, 0, &op), 0);
	memset(&r, 0, sizeof(r));
	r.operator_id = op;
	r.name = (char *)"quoted";
	r.kind = (char *)"http";
	r.url = (char *)"https://q.example.org/";
	r.targets = targets;
	r.n_targets = 2;
	r.status = STORE_RUNNER_APPROVED;
	assert_int_equal(store_runner_add(f->st, &r, ms - RFX_DAY), 0);
	rfx_monthly(f, 2024, 2, rfx_ms(2024, 4, 1, 0, 0), NULL, &ps, 0, &m);
	text = rfx_render(&m, REPORT_CSV, NULL);
	assert_non_null(strstr(text, "\"Smith, \"\"Junior\"\"\r\nOps\""));
	csv_parse(text, &c);
	assert_int_equal(c.n_rows, 2);
	assert_string_equal(c.rows[1][col(&c, "operator")], hard);
	assert_string_equal(c.rows[1][col(&c, "targets")], RFX_RISCV " " RFX_S390X);
	assert_string_equal(c.rows[1][col(&c, "verdict")], "INDETERMINATE");
	assert_string_equal(c.rows[1][col(&c, "uptime")], "");
	assert_string_equal(c.rows[1][col(&c, "blips")], "");
	csv_free(&c);
	free(text);
	monthly_deinit(&m);
	policy_source_deinit(&ps);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_validator_rejects),
	        cmocka_unit_test(test_golden_json_validates),
	        cmocka_unit_test_setup_teardown(test_variants_validate, rfx_setup, rfx_teardown),
	        cmocka_unit_test_setup_teardown(test_csv_parses_and_agrees, rfx_setup,
	                                        rfx_teardown),
	        cmocka_unit_test_setup_teardown(test_csv_github_agrees, rfx_setup, rfx_teardown),
	        cmocka_unit_test_setup_teardown(test_csv_quoting, rfx_setup, rfx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
