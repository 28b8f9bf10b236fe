/* SPDX-License-Identifier: MIT */
/*
 * report_fixture.h — what the reports tests share: a temporary database,
 * the scripted history of February and March 2024 the monthly report's tests
 * and golden files are made from, running the report, comparing with golden
 * files; tests/lib/rwtest.h runs the real binaries.
 *
 * The history (all times UTC; policies v1 from 2024-01-01, v2 from
 * 2024-03-15, v3 from 2024-04-05; maintenance cap 8 h, notice 24 h):
 *
 *  runner       operator  targets (tier)          February 2024 (leap, 29 d)       March 2024 (31
 * d) rv-alpha     acme      riscv64 (2)             6 h outage (acked, mitigated);   up, blips 10 h
 * maintenance, 48 h notice, down throughout: 8 h credited, 2 h over the cap: FAIL rv-beta      acme
 * riscv64 (2)             up: PASS                          retired 03-20: PASS s390-gamma   globex
 * s390x (2), armv7 (3)    unknown for 9 days: INDETERMINATE 1 h outage, not acked; 4 h short-notice
 *                                                                                   maintenance,
 * down arm-delta    initech   armv7 (3)               registered 02-10 12:00;          48 h outage
 * still open 12 h outage: PASS at 95 %         at the end: FAIL rv-pending   acme      riscv64
 * pending: never reported s390-old     globex    s390x                   retired 2024-01-15: never
 * reported
 *
 * The monitor ran from 2023-11-30, was down 2024-02-20 10:00-11:00 (a stored
 * "downtime" blind period; every runner unknown meanwhile), had failing
 * canaries 2024-03-05 03:00-03:30, and last ticked 2024-04-01 01:00. Probes
 * every 10 minutes while a runner is up or down, with a one-probe blip every
 * 97th probe, rolled up day by day by store_rollup_day().
 */
#ifndef RW_REPORT_FIXTURE_H
#define RW_REPORT_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "monitor/store/policy_source.h"
#include "monitor/store/store.h"
#include "reports/monthly.h"
#include "reports/monthly_render.h"
#include "rwtest.h"

#define RFX_MIN  ((int64_t)60 * 1000)
#define RFX_HOUR (60 * RFX_MIN)
#define RFX_DAY  (24 * RFX_HOUR)

#define RFX_RISCV  "riscv64gc-unknown-linux-gnu"
#define RFX_S390X  "s390x-unknown-linux-gnu"
#define RFX_ARMV7  "armv7-unknown-linux-gnueabihf"
#define RFX_X86_64 "x86_64-unknown-linux-gnu"

struct rfx {
	char dir[256];
	char db[1200];       /* a file, or a PostgreSQL URI (rwt_db()) */
	struct rwt_opts run; /* programs run in dir */
	struct store *st;
	char sha[3][65]; /* the stored policies' hashes, v1..v3 */
};

/** cmocka setup/teardown: a temporary directory with an empty, migrated database. */
int rfx_setup(void **state);
int rfx_teardown(void **state);

/** Milliseconds of a UTC time. */
int64_t rfx_ms(int y, unsigned mo, unsigned d, int h, int mi);

/** Writes the scripted history above into @p f's database. */
void rfx_build_history(struct rfx *f);

/**
 * Writes the scripted GitHub history of June 2024 (30 days) into @p f's
 * database, by itself (not with rfx_build_history()): the policies v1..v3
 * above (June is judged under v3), the monitor running from April to
 * 2024-07-01 00:30, probes every 10 minutes with daily rollups, and
 *
 *   rv-plain     acme    an HTTP runner, up
 *   gh-rv        acme    pool of "acme", labels RISCV64 + self-hosted,
 *                        min_online 1, pickup within 300 s; no pickup
 *                        05-31 23:55-06-01 00:03, 06-12 09:05-09:20,
 *                        06-14 14:05-14:10, 06-30 23:55-07-01 00:01
 *   gh-s390      globex  pool of "globex/ci", label s390x, min_online 1,
 *                        no pickup deadline; up
 *   gh-x64       acme    pool of "Acme/Rust", self-hosted + x64, min_online
 *                        0, pickup within 600 s; registered 06-10 12:00;
 *                        no pickup 06-21 10:10-10:15
 *   gh-pending   acme    a pending pool: not reported
 *   gh-gone      globex  a pool retired 05-15: not reported
 *
 * and members: gh-rv/rv-1 (from 05-02, offline 06-20 02:00-04:00),
 * gh-rv/rv-2 (from 06-15), gh-rv/rv-3 (retired 06-10), gh-rv/rv-old
 * (retired 05-20: not in June), gh-s390/s390-a (from 05-02),
 * gh-s390/s390-b (from 06-29), gh-s390/s390-c (first seen 07-01: not in
 * June). So in June gh-rv has 3 members, gh-s390 2, gh-x64 none.
 *
 * Workflow jobs (times of June unless said; waits in brackets):
 *   gh-rv's, 8 queued in June, 5 started within 5 min:
 *     101 started after 1 min; 102 after 4 min 59 s (one more label);
 *     103 after 5 min exactly (repository and labels in other cases);
 *     104 after 20 min; 105 cancelled after 10 min; 106 after 2 min, its
 *     deliveries out of order and twice (the queued one after in_progress,
 *     with started_at = its queue time); 107 still waiting at the end
 *     (10 min); 108 queued 06-30 23:58, started 07-01 00:01 (3 min).
 *     Waits sorted (s): 60 120 180 299 300 600 600 1200: p50 299 s,
 *     p95 and max 1200 s.
 *   Not gh-rv's: 112 queued 05-31; 110 of globex/ci; 111 of acmeco/rust;
 *     117 without self-hosted.
 *   gh-x64's, 2 queued in its part, 1 started within 10 min: 113 after
 *     2 min, 114 after 15 min (of acme/RUST, with one more label); not
 *     109 (06-04, before it was registered) nor 115 (acme/tools).
 *   116 of globex/ci with s390x: gh-s390 has no deadline.
 */
void rfx_build_github(struct rfx *f);

/** The policy bodies stored as v1, v2, v3. */
extern const char *const rfx_policy_body[3];

/**
 * Runs monthly_run() for month @p y-@p mo with the wall clock at @p now_ms,
 * under the policy in force at the month's end (or @p ps already filled when
 * @p keep_policy), into @p out; asserts success.
 */
void rfx_monthly(struct rfx *f, int y, unsigned mo, int64_t now_ms, const char *operator_name,
                 struct policy_source *ps, int keep_policy, struct monthly *out);

/** Renders @p m in @p fmt into a malloc'd NUL-terminated string. */
char *rfx_render(const struct monthly *m, enum report_format fmt, size_t *len);

/**
 * Compares @p text with tests/reports/golden/@p name, printing the first
 * difference; with RW_UPDATE_GOLDEN=1 in the environment, writes it instead.
 */
void rfx_golden(const char *name, const char *text, size_t len);

/** Writes @p text to @p dir/@p name; the path goes to @p path. */
void rfx_write_file(const char *dir, const char *name, const char *text, char *path,
                    size_t pathlen);

/** The runner named @p name in @p m, or NULL. */
const struct monthly_runner *rfx_runner(const struct monthly *m, const char *name);

/** Exit @p code and exactly one line on stderr naming @p needle; prints otherwise. */
int rfx_one_line_error(const struct rwt_res *r, int code, const char *what, const char *needle);

#endif
