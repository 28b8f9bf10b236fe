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
	rwt_db(f->db, sizeof(f->db), f->dir, "rw.db");
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
	rwt_db_drop(f->db);
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

/* ---- the GitHub history ----------------------------------------------------- */

static void add_pool(struct store *st, struct timeline *tl, int64_t op, const char *name,
                     const char *source, const char *const *labels, size_t n_labels,
                     uint32_t min_online, uint32_t pickup_s, const char *target, int status,
                     int64_t created_ms)
{
	char *targets[] = {(char *)target};
	struct store_runner r;

	memset(&r, 0, sizeof(r));
	r.operator_id = op;
	r.name = (char *)name;
	r.kind = (char *)"github";
	r.github = (char *)source;
	r.labels = (char **)labels;
	r.n_labels = n_labels;
	r.min_online = min_online;
	r.pickup_within_s = pickup_s;
	r.targets = targets;
	r.n_targets = 1;
	r.status = status;
	assert_int_equal(store_runner_add(st, &r, created_ms), 0);
	memset(tl, 0, sizeof(*tl));
	tl->id = r.id;
	tl->at[0] = created_ms;
	tl->state[0] = RW_STATE_UNKNOWN;
	tl->n = 1;
}

static void add_member(struct store *st, struct timeline *tl, const struct timeline *pool,
                       int64_t github_id, const char *name, int64_t created_ms)
{
	bool created = false;

	memset(tl, 0, sizeof(*tl));
	assert_int_equal(store_github_member_upsert(st, pool->id, github_id, name, created_ms,
	                                            &tl->id, &created),
	                 0);
	assert_true(created);
	tl->at[0] = created_ms;
	tl->state[0] = RW_STATE_UNKNOWN;
	tl->n = 1;
}

/* One workflow_job delivery, merged into the stored job. */
static void job(struct store *st, int64_t id, const char *repo, const char *const *labels,
                size_t n_labels, int status, int64_t queued, int64_t started, int64_t completed,
                const char *conclusion)
{
	struct store_github_job j;

	memset(&j, 0, sizeof(j));
	j.id = id;
	j.run_id = id * 10;
	j.repo = (char *)repo;
	j.name = (char *)"build";
	j.labels = (char **)labels;
	j.n_labels = n_labels;
	j.status = status;
	j.conclusion = (char *)conclusion;
	j.queued_ms = queued;
	j.started_ms = started;
	j.completed_ms = completed;
	j.runner_name = started ? (char *)"ephemeral-1" : NULL;
	j.updated_ms = completed ? completed : started ? started : queued;
	assert_int_equal(store_github_job_upsert(st, &j, NULL), 0);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void github_jobs(struct store *st)
{
	static const char *const rv[] = {"self-hosted", "riscv64"};
	static const char *const rv_big[] = {"self-hosted", "riscv64", "big"};
	static const char *const rv_case[] = {"Self-Hosted", "RISCV64"};
	static const char *const rv_only[] = {"riscv64"};
	static const char *const x64[] = {"self-hosted", "x64"};
	static const char *const x64_linux[] = {"linux", "self-hosted", "x64"};
	static const char *const s390[] = {"s390x"};
	const int Q = STORE_GHJOB_QUEUED, P = STORE_GHJOB_IN_PROGRESS, C = STORE_GHJOB_COMPLETED;
	int64_t t;

	/* gh-rv (acme; self-hosted, riscv64; 5 min). Queued before the month. */
	job(st, 112, "acme/rust", rv, N(rv), C, rfx_ms(2024, 5, 31, 23, 50),
	    rfx_ms(2024, 6, 1, 0, 3), rfx_ms(2024, 6, 1, 0, 40), "success");
	/* Started after 1 min; after 4 min 59 s (with one more label); after 5 min
	 * exactly (names in other cases); after 20 min. */
	job(st, 101, "acme/rust", rv, N(rv), C, rfx_ms(2024, 6, 3, 10, 0),
	    rfx_ms(2024, 6, 3, 10, 1), rfx_ms(2024, 6, 3, 10, 30), "success");
	t = rfx_ms(2024, 6, 5, 12, 0);
	job(st, 102, "acme/rust", rv_big, N(rv_big), C, t, t + 299 * 1000, t + RFX_HOUR, "success");
	job(st, 103, "ACME/Tools", rv_case, N(rv_case), C, rfx_ms(2024, 6, 7, 8, 0),
	    rfx_ms(2024, 6, 7, 8, 5), rfx_ms(2024, 6, 7, 8, 20), "success");
	job(st, 104, "acme/rust", rv, N(rv), C, rfx_ms(2024, 6, 12, 9, 0),
	    rfx_ms(2024, 6, 12, 9, 20), rfx_ms(2024, 6, 12, 10, 0), "failure");
	/* Cancelled after 10 min without a runner. */
	job(st, 105, "acme/rust", rv, N(rv), Q, rfx_ms(2024, 6, 14, 14, 0), 0, 0, NULL);
	job(st, 105, "acme/rust", rv, N(rv), C, rfx_ms(2024, 6, 14, 14, 0), 0,
	    rfx_ms(2024, 6, 14, 14, 10), "cancelled");
	/* Out of order and twice: in_progress (started after 2 min) before its
	 * queued delivery, whose started_at is GitHub's queue time and must not
	 * count as a start; then in_progress again, then completed. */
	t = rfx_ms(2024, 6, 20, 16, 0);
	job(st, 106, "acme/docs", rv, N(rv), P, t, t + 2 * RFX_MIN, 0, NULL);
	job(st, 106, "acme/docs", rv, N(rv), Q, t, t, 0, NULL);
	job(st, 106, "acme/docs", rv, N(rv), P, t, t + 2 * RFX_MIN, 0, NULL);
	job(st, 106, "acme/docs", rv, N(rv), C, t, t + 2 * RFX_MIN, t + 30 * RFX_MIN, "success");
	/* Still waiting at the month's end (10 min); queued 2 min before the end
	 * and started 3 min after it. */
	job(st, 107, "acme/rust", rv, N(rv), Q, rfx_ms(2024, 6, 30, 23, 50), 0, 0, NULL);
	job(st, 108, "acme/rust", rv, N(rv), Q, rfx_ms(2024, 6, 30, 23, 58), 0, 0, NULL);
	job(st, 108, "acme/rust", rv, N(rv), P, rfx_ms(2024, 6, 30, 23, 58),
	    rfx_ms(2024, 7, 1, 0, 1), 0, NULL);
	/* Not gh-rv's: another owner, an owner whose name starts with "acme", a
	 * label missing. */
	job(st, 110, "globex/ci", rv, N(rv), Q, rfx_ms(2024, 6, 8, 11, 0), 0, 0, NULL);
	job(st, 111, "acmeco/rust", rv, N(rv), Q, rfx_ms(2024, 6, 9, 11, 0), 0, 0, NULL);
	job(st, 117, "acme/rust", rv_only, N(rv_only), C, rfx_ms(2024, 6, 24, 7, 0),
	    rfx_ms(2024, 6, 24, 7, 1), rfx_ms(2024, 6, 24, 7, 9), "success");

	/* gh-x64 (Acme/Rust; self-hosted, x64; 10 min; registered the 10th at
	 * noon): one before it existed, one after 2 min, one after 15 min (with
	 * one more label, the repository in other cases), one of another
	 * repository. */
	job(st, 109, "acme/rust", x64, N(x64), C, rfx_ms(2024, 6, 4, 9, 0),
	    rfx_ms(2024, 6, 4, 9, 30), rfx_ms(2024, 6, 4, 10, 0), "success");
	job(st, 113, "acme/rust", x64, N(x64), P, rfx_ms(2024, 6, 11, 10, 0),
	    rfx_ms(2024, 6, 11, 10, 2), 0, NULL);
	job(st, 114, "acme/RUST", x64_linux, N(x64_linux), P, rfx_ms(2024, 6, 21, 10, 0),
	    rfx_ms(2024, 6, 21, 10, 15), 0, NULL);
	job(st, 115, "acme/tools", x64, N(x64), Q, rfx_ms(2024, 6, 22, 10, 0), 0, 0, NULL);

	/* gh-s390 has no deadline: its jobs are not counted. */
	job(st, 116, "globex/ci", s390, N(s390), C, rfx_ms(2024, 6, 23, 8, 0),
	    rfx_ms(2024, 6, 23, 8, 1), rfx_ms(2024, 6, 23, 9, 0), "success");
}

void rfx_build_github(struct rfx *f)
{
	static const char *const rv[] = {"RISCV64", "self-hosted"};
	static const char *const x64[] = {"self-hosted", "x64"};
	static const char *const s390[] = {"s390x"};
	static const char *const arm[] = {"arm64"};
	struct store *st = f->st;
	struct timeline plain, pool_rv, pool_s390, pool_x64, pending, gone;
	struct timeline rv1, rv2, rv3, rv_old, s390_a, s390_b, s390_c;
	struct timeline *sampled[] = {&plain, &pool_rv, &pool_s390, &pool_x64, &rv1,
	                              &rv2,   &rv3,     &s390_a,    &s390_b};
	int64_t acme, globex, may1 = rfx_ms(2024, 5, 1, 0, 0), end = rfx_ms(2024, 7, 1, 0, 0);

	acme = add_operator(st, "acme");
	globex = add_operator(st, "globex");
	add_runner(st, &plain, acme, "rv-plain", RFX_RISCV, NULL, STORE_RUNNER_APPROVED, may1);
	add_pool(st, &pool_rv, acme, "gh-rv", "acme", rv, N(rv), 1, 300, RFX_RISCV,
	         STORE_RUNNER_APPROVED, may1);
	add_pool(st, &pool_s390, globex, "gh-s390", "globex/ci", s390, N(s390), 1, 0, RFX_S390X,
	         STORE_RUNNER_APPROVED, may1);
	add_pool(st, &pool_x64, acme, "gh-x64", "Acme/Rust", x64, N(x64), 0, 600, RFX_X86_64,
	         STORE_RUNNER_APPROVED, rfx_ms(2024, 6, 10, 12, 0));
	add_pool(st, &pending, acme, "gh-pending", "acme", x64, N(x64), 0, 60, RFX_X86_64,
	         STORE_RUNNER_PENDING, may1);
	add_pool(st, &gone, globex, "gh-gone", "globex", arm, N(arm), 0, 120, RFX_ARMV7,
	         STORE_RUNNER_APPROVED, rfx_ms(2024, 4, 1, 0, 0));
	assert_int_equal(store_runner_set_status(st, gone.id, STORE_RUNNER_RETIRED,
	                                         rfx_ms(2024, 5, 15, 0, 0), NULL),
	                 0);

	/* gh-rv's members: one all month, one from the 15th, one retired on the
	 * 10th, one retired in May (not seen in June). */
	add_member(st, &rv1, &pool_rv, 1, "rv-1", rfx_ms(2024, 5, 2, 0, 0));
	add_member(st, &rv3, &pool_rv, 3, "rv-3", rfx_ms(2024, 5, 5, 0, 0));
	add_member(st, &rv_old, &pool_rv, 4, "rv-old", rfx_ms(2024, 5, 3, 0, 0));
	add_member(st, &rv2, &pool_rv, 2, "rv-2", rfx_ms(2024, 6, 15, 0, 0));
	/* gh-s390's: one all month, one from the 29th, one first seen when the
	 * month is over. */
	add_member(st, &s390_a, &pool_s390, 11, "s390-a", rfx_ms(2024, 5, 2, 0, 0));
	add_member(st, &s390_b, &pool_s390, 12, "s390-b", rfx_ms(2024, 6, 29, 0, 0));
	add_member(st, &s390_c, &pool_s390, 13, "s390-c", end);

	change(st, &plain, may1 + 10 * RFX_MIN, RW_STATE_UP);
	change(st, &pool_s390, may1 + 10 * RFX_MIN, RW_STATE_UP);
	change(st, &rv1, rfx_ms(2024, 5, 2, 0, 1), RW_STATE_UP);
	change(st, &rv_old, rfx_ms(2024, 5, 3, 0, 1), RW_STATE_UP);
	change(st, &rv3, rfx_ms(2024, 5, 5, 0, 1), RW_STATE_UP);
	change(st, &s390_a, rfx_ms(2024, 5, 2, 0, 1), RW_STATE_UP);
	assert_int_equal(store_runner_set_status(st, rv_old.id, STORE_RUNNER_RETIRED,
	                                         rfx_ms(2024, 5, 20, 0, 0), NULL),
	                 0);
	/* gh-rv: up, but no pickup from a waiting job's deadline until a matching
	 * job starts (or the waiting one is cancelled). */
	change(st, &pool_rv, may1 + 10 * RFX_MIN, RW_STATE_UP);
	change(st, &pool_rv, rfx_ms(2024, 5, 31, 23, 55), RW_STATE_DOWN);
	change(st, &pool_rv, rfx_ms(2024, 6, 1, 0, 3), RW_STATE_UP);
	assert_int_equal(store_runner_set_status(st, rv3.id, STORE_RUNNER_RETIRED,
	                                         rfx_ms(2024, 6, 10, 0, 0), NULL),
	                 0);
	change(st, &pool_x64, rfx_ms(2024, 6, 10, 12, 1), RW_STATE_UP);
	change(st, &pool_rv, rfx_ms(2024, 6, 12, 9, 5), RW_STATE_DOWN);
	change(st, &pool_rv, rfx_ms(2024, 6, 12, 9, 20), RW_STATE_UP);
	change(st, &pool_rv, rfx_ms(2024, 6, 14, 14, 5), RW_STATE_DOWN);
	change(st, &pool_rv, rfx_ms(2024, 6, 14, 14, 10), RW_STATE_UP);
	change(st, &rv2, rfx_ms(2024, 6, 15, 0, 1), RW_STATE_UP);
	change(st, &rv1, rfx_ms(2024, 6, 20, 2, 0), RW_STATE_DOWN); /* offline for 2 h */
	change(st, &rv1, rfx_ms(2024, 6, 20, 4, 0), RW_STATE_UP);
	change(st, &pool_x64, rfx_ms(2024, 6, 21, 10, 10), RW_STATE_DOWN);
	change(st, &pool_x64, rfx_ms(2024, 6, 21, 10, 15), RW_STATE_UP);
	change(st, &s390_b, rfx_ms(2024, 6, 29, 0, 1), RW_STATE_UP);
	change(st, &pool_rv, rfx_ms(2024, 6, 30, 23, 55), RW_STATE_DOWN);
	change(st, &pool_rv, rfx_ms(2024, 7, 1, 0, 1), RW_STATE_UP);
	github_jobs(st);

	monitor_run(st, rfx_ms(2024, 4, 1, 0, 0), rfx_ms(2024, 7, 1, 0, 30));
	record_policies(f);
	for (size_t i = 0; i < N(sampled); i++)
		write_samples(st, sampled[i], rfx_ms(2024, 5, 31, 0, 0), end);
	for (int64_t d = rfx_ms(2024, 5, 31, 0, 0) / RFX_DAY; d < end / RFX_DAY; d++)
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
