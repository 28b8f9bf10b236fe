/* SPDX-License-Identifier: MIT */
/*
 * test_incidents.c — incidents and tokens in the store:
 *   - one incident per DOWN interval, opened and closed by the writer's
 *     batches with the intervals; voided when the monitor's blindness
 *     replaces the DOWN interval, revived when it comes back; replays are
 *     idempotent;
 *   - acknowledge and mitigate are set once; listings filter by operator,
 *     runner and period;
 *   - tokens: found by hash, listed, revoked once;
 *   - the request-body parser's refusals name the field.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/api/reqbody.h"
#include "monitor/intake/auth.h"
#include "monitor/store/store.h"
#include "policy/base/rw_error.h"
#include "rwtest.h"

struct fx {
	char dir[256], db[320];
	struct store *st;
	int64_t op, r1, r2;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct store_runner r = {0};
	const char *targets[] = {"riscv64gc-unknown-linux-gnu"};
	uint8_t h[32] = {1};
	char err[256];

	assert_non_null(f);
	rwt_tmpdir(f->dir, sizeof(f->dir), "inc");
	snprintf(f->db, sizeof(f->db), "%s/rw.db", f->dir);
	assert_int_equal(store_open(&f->st, f->db, STORE_CREATE, err, sizeof(err)), 0);
	assert_int_equal(store_operator_add(f->st, "acme", "a@b.c", h, 1, &f->op), 0);
	r.operator_id = f->op;
	r.kind = "http";
	r.url = "http://a.example.org/";
	r.targets = (char **)targets;
	r.n_targets = 1;
	r.status = STORE_RUNNER_APPROVED;
	r.name = "r1";
	assert_int_equal(store_runner_add(f->st, &r, 1), 0);
	f->r1 = r.id;
	r.name = "r2";
	assert_int_equal(store_runner_add(f->st, &r, 1), 0);
	f->r2 = r.id;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	rwt_tmpdir_remove(f->dir, false);
	free(f);
	return 0;
}

static void change(struct fx *f, int64_t runner, int64_t at, enum rw_state s)
{
	struct store_rec r = {.kind = STORE_REC_CHANGE};

	r.u.change.runner_id = runner;
	r.u.change.start_ms = at;
	r.u.change.state = (uint8_t)s;
	assert_int_equal(store_write_batch(f->st, &r, 1), 0);
}

static size_t list(struct fx *f, int64_t op, int64_t runner, int64_t from, int64_t to,
                   struct store_incident **v)
{
	size_t n = 0;
	assert_int_equal(store_incident_list(f->st, op, runner, from, to, v, &n), 0);
	return n;
}

static void test_derived_from_intervals(void **state)
{
	struct fx *f = *state;
	struct store_incident *v, one;
	size_t n;

	change(f, f->r1, 1000, RW_STATE_UP);
	change(f, f->r1, 2000, RW_STATE_DOWN);
	change(f, f->r1, 2000, RW_STATE_DOWN); /* a replay */
	change(f, f->r1, 5000, RW_STATE_UP);
	n = list(f, 0, 0, 0, 100000, &v);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].runner_id, f->r1);
	assert_string_equal(v[0].runner_name, "r1");
	assert_int_equal(v[0].start_ms, 2000);
	assert_int_equal(v[0].end_ms, 5000);
	assert_int_equal(v[0].ack_ms, 0);
	store_incidents_free(v, n);

	/* A DOWN interval replaced by blindness at its start is no incident;
	 * written again, it is one again (the same id). */
	change(f, f->r1, 6000, RW_STATE_DOWN);
	n = list(f, 0, f->r1, 0, 100000, &v);
	assert_int_equal(n, 2);
	assert_int_equal(v[1].end_ms, 0); /* open */
	store_incidents_free(v, n);
	change(f, f->r1, 6000, RW_STATE_UNKNOWN);
	n = list(f, 0, f->r1, 0, 100000, &v);
	assert_int_equal(n, 1);
	store_incidents_free(v, n);
	change(f, f->r1, 6000, RW_STATE_DOWN);
	n = list(f, 0, f->r1, 0, 100000, &v);
	assert_int_equal(n, 2);
	assert_int_equal(v[1].start_ms, 6000);
	assert_int_equal(v[1].end_ms, 0);
	store_incidents_free(v, n);
	/* Down → unknown later closes it at that time. */
	change(f, f->r1, 9000, RW_STATE_UNKNOWN);
	n = list(f, 0, f->r1, 0, 100000, &v);
	assert_int_equal(n, 2);
	assert_int_equal(v[1].end_ms, 9000);

	/* Period overlap: [5000, 6000) touches neither; [4999, 6001) both. */
	store_incidents_free(v, n);
	assert_int_equal(list(f, 0, 0, 5000, 6000, &v), 0);
	n = list(f, 0, 0, 4999, 6001, &v);
	assert_int_equal(n, 2);
	store_incidents_free(v, n);
	/* Another runner's down interval is its own incident; the operator
	 * filter sees both (same operator), another operator none. */
	change(f, f->r2, 7000, RW_STATE_DOWN);
	n = list(f, f->op, 0, 0, 100000, &v);
	assert_int_equal(n, 3);
	store_incidents_free(v, n);
	assert_int_equal(list(f, f->op + 1, 0, 0, 100000, &v), 0);

	/* Acknowledge and mitigate once each; mitigate implies acknowledge. */
	n = list(f, 0, f->r2, 0, 100000, &v);
	assert_int_equal(n, 1);
	assert_int_equal(store_incident_mitigate(f->st, v[0].id, 7500, NULL), 0);
	assert_int_equal(store_incident_mitigate(f->st, v[0].id, 7600, NULL), RW_EEXIST);
	assert_int_equal(store_incident_ack(f->st, v[0].id, 7700, "late"), RW_EEXIST);
	assert_int_equal(store_incident_get(f->st, v[0].id, &one), 0);
	assert_int_equal(one.ack_ms, 7500);
	assert_int_equal(one.mitigated_ms, 7500);
	store_incident_deinit(&one);
	store_incidents_free(v, n);
	n = list(f, 0, f->r1, 0, 100000, &v);
	assert_int_equal(store_incident_ack(f->st, v[0].id, 2500, "looking"), 0);
	assert_int_equal(store_incident_ack(f->st, v[0].id, 2600, "again"), RW_EEXIST);
	assert_int_equal(store_incident_get(f->st, v[0].id, &one), 0);
	assert_int_equal(one.ack_ms, 2500);
	assert_string_equal(one.ack_note, "looking");
	assert_int_equal(one.mitigated_ms, 0);
	assert_null(one.mitigated_note);
	store_incident_deinit(&one);
	store_incidents_free(v, n);
	assert_int_equal(store_incident_ack(f->st, 999, 1, "x"), RW_ENOENT);
}

static void test_tokens(void **state)
{
	struct fx *f = *state;
	struct store_token t, *v;
	uint8_t h[32], other[32];
	char tok[AUTH_TOKEN_MAX];
	int64_t id;
	size_t n;

	assert_int_equal(auth_new_token("rwh_", tok, h), 0);
	assert_int_equal(strncmp(tok, "rwh_", 4), 0);
	assert_int_equal(strlen(tok), 4 + 64);
	auth_hash(tok, strlen(tok), other);
	assert_memory_equal(h, other, 32);
	assert_int_equal(store_token_add(f->st, f->op, f->r1, h, 10, 20, &id), 0);
	assert_int_equal(store_token_find(f->st, h, &t), 0);
	assert_int_equal(t.id, id);
	assert_int_equal(t.runner_id, f->r1);
	assert_int_equal(t.expires_ms, 20);
	memset(other, 7, sizeof(other));
	assert_int_equal(store_token_find(f->st, other, &t), RW_ENOENT);
	assert_int_equal(store_token_list(f->st, f->op, &v, &n), 0);
	assert_int_equal(n, 2); /* the operator's own, and this one */
	free(v);
	assert_int_equal(store_token_revoke(f->st, f->op + 1, id, 30), RW_ENOENT);
	assert_int_equal(store_token_revoke(f->st, f->op, id, 30), 0);
	assert_int_equal(store_token_revoke(f->st, f->op, id, 31), RW_EINVAL);
	assert_int_equal(store_token_find(f->st, h, &t), 0);
	assert_int_equal(t.revoked_ms, 30);
}

/* Refusals name the field; a good body fills the struct. */
static void test_reqbody(void **state)
{
	static const struct {
		const char *body;
		int status;
		const char *field;
	} bad[] = {
	        {"{\"name\":\"r\",\"targets\":[\"riscv64gc-unknown-linux-gnu\"]}", 400, "url"},
	        {"{\"name\":\"r\",\"targets\":[],\"url\":\"http://a.b/\"}", 400, "targets"},
	        {"{\"name\":\"r\",\"targets\":[1],\"url\":\"http://a.b/\"}", 400, "targets[0]"},
	        {"{\"name\":1}", 400, "name"},
	        {"{\"name\":\"r\",\"name\":\"s\"}", 400, "name"},
	        {"{\"a\":{\"x\":1,\"x\":2}}", 400, "x"},
	        {"{\"nope\":1}", 400, "nope"},
	        {"{\"name\":\"r\",\"mode\":\"pull\",\"targets\":[\"x86_64-unknown-linux-gnu\"]}",
	         400, "mode"},
	        {"{\"name\":\"r\",\"mode\":\"push\",\"targets\":[\"x86_64-unknown-linux-gnu\"],"
	         "\"url\":\"http://a.b/\"}",
	         400, "url"},
	        {"{\"name\":\"r\",\"targets\":[\"x86_64-unknown-linux-gnu\"],\"url\":\"ftp://a.b/"
	         "\"}",
	         400, "url"},
	        {"[]", 400, ""},
	        {"{\"name\":\"\xff\"}", 400, ""},
	};
	struct req_runner rr;
	struct reqbody_error e;
	cJSON *o;
	char *big;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc;
		memset(&e, 0, sizeof(e));
		rc = reqbody_parse(bad[i].body, strlen(bad[i].body), reqbody_runner_fields, false,
		                   &o, &e);
		if (rc == 0) {
			rc = reqbody_runner(o, false, &rr, &e);
			cJSON_Delete(o);
		}
		if (rc != RW_EINVAL || e.status != bad[i].status ||
		    strcmp(e.field, bad[i].field) != 0 || !e.detail[0])
			fail_msg("case %zu (%s): rc %d status %d field \"%s\" detail \"%s\"", i,
			         bad[i].body, rc, e.status, e.field, e.detail);
	}
	big = calloc(1, REQBODY_MAX + 2);
	assert_non_null(big);
	memset(big, ' ', REQBODY_MAX + 1);
	big[0] = '{';
	big[REQBODY_MAX] = '}';
	assert_int_equal(reqbody_parse(big, REQBODY_MAX + 1, reqbody_runner_fields, false, &o, &e),
	                 RW_EINVAL);
	assert_int_equal(e.status, 413);
	free(big);

	/* An empty body is an empty object where the endpoint allows it. */
	assert_int_equal(reqbody_parse(NULL, 0, reqbody_heartbeat_fields, true, &o, &e), 0);
	assert_null(o->child);
	cJSON_Delete(o);
	{
		const char *good = "{\"name\":\"p1\",\"mode\":\"push\",\"targets\":"
		                   "[\"x86_64-unknown-linux-gnu\"],\"interval_s\":30}";
		assert_int_equal(
		        reqbody_parse(good, strlen(good), reqbody_runner_fields, false, &o, &e), 0);
		assert_int_equal(reqbody_runner(o, false, &rr, &e), 0);
		assert_true(rr.push);
		assert_null(rr.url);
		assert_string_equal(rr.name, "p1");
		assert_int_equal(rr.n_targets, 1);
		assert_int_equal(rr.interval_s, 30);
		assert_int_equal(rr.timeout_ms, 0);
		cJSON_Delete(o);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_derived_from_intervals, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
	        cmocka_unit_test(test_reqbody),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
