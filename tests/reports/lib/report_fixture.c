/* SPDX-License-Identifier: MIT */
/* report_fixture.c — the reports tests' database, history and helpers; see report_fixture.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "report_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/base/rw_error.h"
#include "policy/calendar.h"

const char *const rfx_policy_body[3] = {
        "{\n  \"version\": 1,\n  \"uptime_floor\": 0.99,\n"
        "  \"tiers\": { \"2\": { \"uptime_floor\": 0.99 }, \"3\": { \"uptime_floor\": 0.95 } },\n"
        "  \"targets\": { \"" RFX_RISCV "\": 2, \"" RFX_S390X "\": 2, \"" RFX_ARMV7 "\": 3 },\n"
        "  \"maintenance\": { \"min_notice_h\": 24, \"max_h_per_month\": 8 },\n"
        "  \"pool\": { \"min_runners\": 2 }\n}\n",
        "{\n  \"version\": 2,\n  \"uptime_floor\": 0.99,\n"
        "  \"tiers\": { \"2\": { \"uptime_floor\": 0.99 }, \"3\": { \"uptime_floor\": 0.95 } },\n"
        "  \"targets\": { \"" RFX_RISCV "\": 2, \"" RFX_S390X "\": 2, \"" RFX_ARMV7 "\": 3 },\n"
        "  \"probe\": { \"failures_to_down\": 4 },\n"
        "  \"maintenance\": { \"min_notice_h\": 24, \"max_h_per_month\": 8 },\n"
        "  \"pool\": { \"min_runners\": 1 }\n}\n",
        "{\n  \"version\": 3,\n  \"uptime_floor\": 0.9\n}\n",
};

int rfx_setup(void **state)
{
	struct rfx *f = calloc(1, sizeof(*f));
	char err[512];

	if (!f)
		return -1;
	rwt_tmpdir(f->dir, sizeof(f->dir), "test-report");
	snprintf(f->db, sizeof(f->db), "%s/rw.db", f->dir);
	f->run.dir = f->dir;
	if (store_open(&f->st, f->db, STORE_CREATE, err, sizeof(err)) != 0) {
		print_error("store_open: %s\n", err);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

int rfx_teardown(void **state)
{
	struct rfx *f = *state;

	store_close(f->st);
	rwt_tmpdir_remove(f->dir, false);
	free(f);
	return 0;
}

int64_t rfx_ms(int y, unsigned mo, unsigned d, int h, int mi)
{
	return calendar_days_from_civil(y, mo, d) * RFX_DAY + h * RFX_HOUR + mi * RFX_MIN;
}

/* ---- the history ------------------------------------------------------------ */

#define MAX_CHANGES 32

/* A runner's changes as written, to derive its probe samples from. */
struct timeline {
	int64_t id;
	size_t n;
	int64_t at[MAX_CHANGES];
	enum rw_state state[MAX_CHANGES];
};

static int64_t add_operator(struct store *st, const char *name)
{
	uint8_t tok[32];
	int64_t id = -1;

	memset(tok, name[0] + (int)strlen(name), sizeof(tok));
	assert_int_equal(store_operator_add(st, name, "ops@example.org", tok, 1000, &id), 0);
	return id;
}

static void add_runner(struct store *st, struct timeline *tl, int64_t op, const char *name,
                       const char *t1, const char *t2, int status, int64_t created_ms)
{
	char *targets[] = {(char *)t1, (char *)t2};
	struct store_runner r;

	memset(&r, 0, sizeof(r));
	r.operator_id = op;
	r.name = (char *)name;
	r.kind = (char *)"http";
	r.url = (char *)"https://runner.example.org/health";
	r.targets = targets;
	r.n_targets = t2 ? 2 : 1;
	r.status = status;
	assert_int_equal(store_runner_add(st, &r, created_ms), 0);
	memset(tl, 0, sizeof(*tl));
	tl->id = r.id;
	tl->at[0] = created_ms;
	tl->state[0] = RW_STATE_UNKNOWN;
	tl->n = 1;
}

static void change(struct store *st, struct timeline *tl, int64_t at, enum rw_state state)
{
	struct store_rec rec = {.kind = STORE_REC_CHANGE};

	rec.u.change.runner_id = tl->id;
	rec.u.change.start_ms = at;
	rec.u.change.state = (uint8_t)state;
	assert_int_equal(store_write_batch(st, &rec, 1), 0);
	assert_true(tl->n < MAX_CHANGES);
	tl->at[tl->n] = at;
	tl->state[tl->n] = state;
	tl->n++;
}

/* The incident of runner @p tl that starts at @p start; acknowledged and
 * mitigated after the given minutes (< 0: not). */
static void respond(struct store *st, const struct timeline *tl, int64_t start, int ack_min,
                    const char *ack_note, int mitigate_min, const char *mitigate_note)
{
	struct store_incident *v = NULL;
	size_t n = 0;
	int64_t id = 0;

	assert_int_equal(store_incident_list(st, 0, tl->id, start, start + 1, &v, &n), 0);
	for (size_t i = 0; i < n; i++)
		if (v[i].start_ms == start)
			id = v[i].id;
	store_incidents_free(v, n);
	assert_true(id > 0);
	if (ack_min >= 0)
		assert_int_equal(store_incident_ack(st, id, start + ack_min * RFX_MIN, ack_note),
		                 0);
	if (mitigate_min >= 0)
		assert_int_equal(store_incident_mitigate(st, id, start + mitigate_min * RFX_MIN,
		                                         mitigate_note),
		                 0);
}

static enum rw_state state_at(const struct timeline *tl, int64_t t)
{
	enum rw_state s = RW_STATE_UNKNOWN;

	for (size_t i = 0; i < tl->n && tl->at[i] <= t; i++)
		s = tl->state[i];
	return s;
}

/* Probes every 10 minutes over [from, to) wherever the runner is up or down:
 * a success (20-50 ms) when up, but a failed probe every 97th; a connect
 * failure when down. */
static void write_samples(struct store *st, const struct timeline *tl, int64_t from, int64_t to)
{
	struct store_rec recs[1000];
	size_t n = 0;

	for (int64_t t = from; t < to; t += 10 * RFX_MIN) {
		enum rw_state s = state_at(tl, t);
		int64_t k = t / (10 * RFX_MIN);
		struct store_rec *r = &recs[n];

		if (s != RW_STATE_UP && s != RW_STATE_DOWN)
			continue;
		memset(r, 0, sizeof(*r));
		r->kind = STORE_REC_SAMPLE;
		r->u.sample.runner_id = tl->id;
		r->u.sample.ts_ms = t + tl->id * 1000;
		if (s == RW_STATE_DOWN) {
			r->u.sample.errclass = RW_ERRCLASS_CONNECT;
			r->u.sample.latency_us = -1;
		} else if (k % 97 == 13) {
			r->u.sample.errclass = RW_ERRCLASS_TIMEOUT;
			r->u.sample.latency_us = -1;
		} else {
			r->u.sample.errclass = RW_ERRCLASS_NONE;
			r->u.sample.http_status = 200;
			r->u.sample.latency_us =
			        (int32_t)(20000 + (k * 7919 + tl->id * 104729) % 30000);
		}
		if (++n == sizeof(recs) / sizeof(recs[0])) {
			assert_int_equal(store_write_batch(st, recs, n), 0);
			n = 0;
		}
	}
	if (n)
		assert_int_equal(store_write_batch(st, recs, n), 0);
}

static void monitor_run(struct store *st, int64_t started_ms, int64_t tick_ms)
{
	struct store_rec rec = {.kind = STORE_REC_TICK};
	int64_t run = 0, prev = 0;

	assert_int_equal(store_run_begin(st, started_ms, &run, &prev), 0);
	rec.u.tick.run_id = run;
	rec.u.tick.ts_ms = tick_ms;
	assert_int_equal(store_write_batch(st, &rec, 1), 0);
}

static void blind(struct store *st, int64_t start, int64_t end, int cause)
{
	struct store_rec rec = {.kind = STORE_REC_BLIND};

	rec.u.blind.start_ms = start;
	rec.u.blind.end_ms = end;
	rec.u.blind.cause = (uint8_t)cause;
	assert_int_equal(store_write_batch(st, &rec, 1), 0);
}

static void record_policies(struct rfx *f)
{
	static const int effective[3][3] = {{2024, 1, 1}, {2024, 3, 15}, {2024, 4, 5}};

	for (int k = 0; k < 3; k++) {
		const char *body = rfx_policy_body[k];
		struct rw_policy p;
		char err[256];
		int64_t at = rfx_ms(effective[k][0], (unsigned)effective[k][1],
		                    (unsigned)effective[k][2], 0, 0);

		assert_int_equal(
		        policy_parse(&p, body, strlen(body), "stored", NULL, err, sizeof(err)), 0);
		policy_source_sha256_hex(body, strlen(body), f->sha[k]);
		assert_int_equal(store_record_policy(f->st, f->sha[k], p.version, body, at, NULL),
		                 0);
		policy_deinit(&p);
	}
}

void rfx_build_history(struct rfx *f)
{
	struct store *st = f->st;
	struct timeline alpha, beta, gamma, delta, pending, old;
	int64_t acme, globex, initech, mid, feb20_10 = rfx_ms(2024, 2, 20, 10, 0);
	int64_t t0 = rfx_ms(2023, 12, 1, 0, 0), end = rfx_ms(2024, 4, 1, 0, 0);
	struct timeline *active[4] = {&alpha, &beta, &gamma, &delta};

	acme = add_operator(st, "acme");
	globex = add_operator(st, "globex");
	initech = add_operator(st, "initech");
	add_runner(st, &alpha, acme, "rv-alpha", RFX_RISCV, NULL, STORE_RUNNER_APPROVED, t0);
	add_runner(st, &beta, acme, "rv-beta", RFX_RISCV, NULL, STORE_RUNNER_APPROVED, t0);
	add_runner(st, &gamma, globex, "s390-gamma", RFX_S390X, RFX_ARMV7, STORE_RUNNER_APPROVED,
	           t0);
	add_runner(st, &delta, initech, "arm-delta", RFX_ARMV7, NULL, STORE_RUNNER_APPROVED,
	           rfx_ms(2024, 2, 10, 12, 0));
	add_runner(st, &pending, acme, "rv-pending", RFX_RISCV, NULL, STORE_RUNNER_PENDING,
	           rfx_ms(2024, 1, 10, 0, 0));
	add_runner(st, &old, globex, "s390-old", RFX_S390X, NULL, STORE_RUNNER_APPROVED,
	           rfx_ms(2023, 6, 1, 0, 0));
	change(st, &old, rfx_ms(2023, 6, 1, 0, 10), RW_STATE_UP);
	assert_int_equal(store_runner_set_status(st, old.id, STORE_RUNNER_RETIRED,
	                                         rfx_ms(2024, 1, 15, 0, 0), NULL),
	                 0);

	/* rv-alpha: a 6 h outage; 10 h of maintenance, down throughout. */
	change(st, &alpha, t0 + 10 * RFX_MIN, RW_STATE_UP);
	change(st, &alpha, rfx_ms(2024, 2, 5, 3, 0), RW_STATE_DOWN);
	change(st, &alpha, rfx_ms(2024, 2, 5, 9, 0), RW_STATE_UP);
	assert_int_equal(store_maintenance_add(st, alpha.id, rfx_ms(2024, 2, 14, 8, 0),
	                                       rfx_ms(2024, 2, 14, 18, 0),
	                                       rfx_ms(2024, 2, 12, 8, 0), "firmware upgrade", NULL),
	                 0);
	change(st, &alpha, rfx_ms(2024, 2, 14, 8, 0), RW_STATE_DOWN);
	change(st, &alpha, rfx_ms(2024, 2, 14, 18, 0), RW_STATE_UP);

	/* rv-beta: up; retired on March 20th. */
	change(st, &beta, t0 + 10 * RFX_MIN, RW_STATE_UP);

	/* s390-gamma: nine days unknown in February; in March an hour down, then
	 * maintenance declared two hours ahead, down throughout. */
	change(st, &gamma, t0 + 10 * RFX_MIN, RW_STATE_UP);
	change(st, &gamma, rfx_ms(2024, 2, 10, 0, 0), RW_STATE_UNKNOWN);
	change(st, &gamma, rfx_ms(2024, 2, 19, 0, 0), RW_STATE_UP);

	/* arm-delta: registered mid-February. */
	change(st, &delta, rfx_ms(2024, 2, 10, 12, 10), RW_STATE_UP);

	/* The monitor was down for an hour on February 20th: every runner unknown. */
	for (int i = 0; i < 4; i++) {
		change(st, active[i], feb20_10, RW_STATE_UNKNOWN);
		change(st, active[i], feb20_10 + RFX_HOUR, RW_STATE_UP);
	}
	change(st, &delta, rfx_ms(2024, 2, 25, 0, 0), RW_STATE_DOWN);
	change(st, &delta, rfx_ms(2024, 2, 25, 12, 0), RW_STATE_UP);
	change(st, &gamma, rfx_ms(2024, 3, 8, 14, 0), RW_STATE_DOWN);
	change(st, &gamma, rfx_ms(2024, 3, 8, 15, 0), RW_STATE_UP);
	assert_int_equal(store_maintenance_add(st, gamma.id, rfx_ms(2024, 3, 22, 10, 0),
	                                       rfx_ms(2024, 3, 22, 14, 0),
	                                       rfx_ms(2024, 3, 22, 8, 0), "disk swap", NULL),
	                 0);
	change(st, &gamma, rfx_ms(2024, 3, 22, 10, 0), RW_STATE_DOWN);
	change(st, &gamma, rfx_ms(2024, 3, 22, 14, 0), RW_STATE_UP);
	/* A window cancelled before it began counts for nothing. */
	{
		int64_t id = 0;
		assert_int_equal(store_maintenance_add(st, delta.id, rfx_ms(2024, 3, 10, 0, 0),
		                                       rfx_ms(2024, 3, 10, 6, 0),
		                                       rfx_ms(2024, 3, 1, 0, 0), "cancelled", &id),
		                 0);
		assert_int_equal(store_maintenance_remove(st, id, rfx_ms(2024, 3, 2, 0, 0)), 0);
	}
	assert_int_equal(store_runner_set_status(st, beta.id, STORE_RUNNER_RETIRED,
	                                         rfx_ms(2024, 3, 20, 12, 0), NULL),
	                 0);
	change(st, &delta, rfx_ms(2024, 3, 30, 0, 0), RW_STATE_DOWN);

	respond(st, &alpha, rfx_ms(2024, 2, 5, 3, 0), 30, "looking into it", 120, "power restored");
	respond(st, &alpha, rfx_ms(2024, 2, 14, 8, 0), 5, "planned | firmware <upgrade>", 600,
	        NULL);
	respond(st, &delta, rfx_ms(2024, 2, 25, 0, 0), 120, "ISP outage", 720, "ISP fixed it");
	respond(st, &gamma, rfx_ms(2024, 3, 22, 10, 0), 10, "disk swap, \"short\" notice", -1,
	        NULL);
	respond(st, &delta, rfx_ms(2024, 3, 30, 0, 0), 360, "hardware fault; waiting for parts", -1,
	        NULL);

	monitor_run(st, rfx_ms(2023, 11, 30, 0, 0), feb20_10);
	monitor_run(st, feb20_10 + RFX_HOUR, rfx_ms(2024, 4, 1, 1, 0));
	blind(st, feb20_10, feb20_10 + RFX_HOUR, STORE_BLIND_DOWNTIME);
	blind(st, rfx_ms(2024, 3, 5, 3, 0), rfx_ms(2024, 3, 5, 3, 30), STORE_BLIND_CANARY);
	record_policies(f);

	/* Probes from January 31st (so runs carry into February) to the end of
	 * March; rv-beta's stop at its retirement. */
	mid = rfx_ms(2024, 1, 31, 0, 0);
	write_samples(st, &alpha, mid, end);
	write_samples(st, &beta, mid, rfx_ms(2024, 3, 20, 12, 0));
	write_samples(st, &gamma, mid, end);
	write_samples(st, &delta, mid, end);
	for (int64_t d = mid / RFX_DAY; d < end / RFX_DAY; d++)
		assert_int_equal(store_rollup_day(st, d), 0);
}

/* ---- running and rendering -------------------------------------------------- */

void rfx_monthly(struct rfx *f, int y, unsigned mo, int64_t now_ms, const char *operator_name,
                 struct policy_source *ps, int keep_policy, struct monthly *out)
{
	struct monthly_opts o = {.now_ms = now_ms, .operator_name = operator_name};
	char err[512] = "";
	int rc;

	o.month_start_ms = rfx_ms(y, mo, 1, 0, 0);
	o.month_end_ms = mo == 12 ? rfx_ms(y + 1, 1, 1, 0, 0) : rfx_ms(y, mo + 1, 1, 0, 0);
	if (!keep_policy) {
		policy_source_init(ps);
		rc = policy_source_at(ps, f->st, o.month_end_ms, err, sizeof(err));
		if (rc != 0)
			print_error("policy_source_at: %s\n", err);
		assert_int_equal(rc, 0);
	}
	rc = monthly_run(f->st, ps, &o, out, err, sizeof(err));
	if (rc != 0)
		print_error("monthly_run: %s\n", err);
	assert_int_equal(rc, 0);
}

char *rfx_render(const struct monthly *m, enum report_format fmt, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *mem = open_memstream(&buf, &n);

	assert_non_null(mem);
	assert_int_equal(monthly_render(mem, m, fmt), 0);
	assert_int_equal(fclose(mem), 0);
	if (len)
		*len = n;
	return buf;
}

void rfx_write_file(const char *dir, const char *name, const char *text, char *path, size_t pathlen)
{
	snprintf(path, pathlen, "%s/%s", dir, name);
	rwt_write_file(path, text);
}

void rfx_golden(const char *name, const char *text, size_t len)
{
	char path[512];
	const char *update = getenv("RW_UPDATE_GOLDEN");
	char *want;
	size_t want_len = 0, i = 0, line = 1;

	snprintf(path, sizeof(path), "%s/tests/reports/golden/%s", RW_SOURCE_DIR, name);
	if (update && strcmp(update, "1") == 0) {
		FILE *fp = fopen(path, "wb");
		assert_non_null(fp);
		assert_int_equal(fwrite(text, 1, len, fp), len);
		assert_int_equal(fclose(fp), 0);
		return;
	}
	want = rwt_slurp(path, &want_len);
	if (!want)
		fail_msg("%s: no golden file (run the test with RW_UPDATE_GOLDEN=1 to write it)",
		         path);
	while (i < len && i < want_len && text[i] == want[i]) {
		line += text[i] == '\n';
		i++;
	}
	if (i != len || i != want_len) {
		size_t s = i;
		while (s > 0 && text[s - 1] != '\n')
			s--;
		print_error("%s differs at line %zu (byte %zu):\n  got:  %.160s\n  want: %.160s\n",
		            path, line, i, text + s, s < want_len ? want + s : "(end)");
		free(want);
		fail_msg("golden mismatch: %s (RW_UPDATE_GOLDEN=1 rewrites it; review the diff)",
		         name);
	}
	free(want);
}

const struct monthly_runner *rfx_runner(const struct monthly *m, const char *name)
{
	for (size_t i = 0; i < m->n_runners; i++)
		if (strcmp(m->runners[i].sr->name, name) == 0)
			return &m->runners[i];
	return NULL;
}

int rfx_one_line_error(const struct rwt_res *r, int code, const char *what, const char *needle)
{
	size_t len = strlen(r->err), lines = 0;

	for (const char *p = r->err; *p; p++)
		lines += *p == '\n';
	if (r->code == code && lines == 1 && len > 0 && r->err[len - 1] == '\n' &&
	    strstr(r->err, needle) != NULL)
		return 0;
	print_error("%s: exit %d, want %d and one stderr line naming \"%s\"; stderr:\n%s\n", what,
	            r->code, code, needle, r->err);
	return 1;
}
