/* SPDX-License-Identifier: MIT */
/*
 * account_bench.c — how long the accounting of a whole fleet takes:
 * account_period() + account_evaluate() for every runner over a 30-day
 * window, as the daemon does for /v1/runners and the flagging pass.
 *
 * The fleet is synthetic but shaped like a real one: each runner has a state
 * change every few hours (a blip now and then, an outage or an unknown gap a
 * few times a month) from 35 days before the end of the window on, 0 to 3
 * maintenance windows of 1 to 6 hours (most declared two days ahead, some
 * late), and the policy's service window is mon-fri 06:00-22:00 UTC. The
 * window ends mid-month, so each call also works out the cap used since the
 * start of the month. Everything is generated from a fixed seed before the
 * clock starts; the figure is the median of 5 runs.
 *
 * usage: account_bench [RUNNERS]   (default 10000)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/account.h"
#include "policy/policy.h"

#define HOUR ((int64_t)3600000)
#define DAY  ((int64_t)86400000)
#define RUNS 5

struct runner {
	size_t iv_off, n_iv;
	size_t mw_off, n_mw;
};

static uint64_t rng_next(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static int64_t rng_below(uint64_t *x, int64_t n)
{
	return (int64_t)(rng_next(x) % (uint64_t)n);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	/* 2028-03-17T13:00:00Z: a Friday in the middle of a month. */
	const int64_t now = (int64_t)21260 * DAY + 13 * HOUR;
	const int64_t from = now - 30 * DAY, to = now;
	size_t n_runners = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
	size_t cap_iv = n_runners * 400, cap_mw = n_runners * 3, n_iv = 0, n_mw = 0;
	struct rw_interval *iv = malloc(cap_iv * sizeof(*iv));
	struct rw_maintenance *mw = malloc(cap_mw * sizeof(*mw));
	struct runner *r = malloc(n_runners * sizeof(*r));
	static const struct rw_policy_span weekdays[] = {{0x1f, 6 * 60, 22 * 60}};
	struct rw_policy pol;
	int64_t ns[RUNS], check = 0;
	uint64_t x = 42;

	if (!iv || !mw || !r || n_runners == 0) {
		fprintf(stderr, "account_bench: out of memory or no runners\n");
		return 1;
	}
	policy_defaults(&pol);
	pol.service_spans = (struct rw_policy_span *)weekdays; /* borrowed */
	pol.n_service_spans = 1;

	for (size_t i = 0; i < n_runners; i++) {
		int64_t t = from - 5 * DAY + rng_below(&x, HOUR);
		size_t k;
		r[i].iv_off = n_iv;
		r[i].mw_off = n_mw;
		while (t < now && n_iv < cap_iv) {
			int64_t roll = rng_below(&x, 100);
			enum rw_state s = roll < 90   ? RW_STATE_UP
			                  : roll < 97 ? RW_STATE_DOWN
			                              : RW_STATE_UNKNOWN;
			iv[n_iv].start_ms = t;
			iv[n_iv].state = s;
			n_iv++;
			/* Up for hours; down or unknown for minutes. */
			t += s == RW_STATE_UP ? 30 * 60000 + rng_below(&x, 10 * HOUR)
			                      : 60000 + rng_below(&x, 2 * HOUR);
		}
		r[i].n_iv = n_iv - r[i].iv_off;
		k = (size_t)rng_below(&x, 4);
		for (size_t j = 0; j < k; j++) {
			int64_t start = from - 10 * DAY + rng_below(&x, 40 * DAY) / HOUR * HOUR;
			mw[n_mw].start_ms = start;
			mw[n_mw].end_ms = start + (1 + rng_below(&x, 6)) * HOUR;
			mw[n_mw].declared_ms =
			        start - (rng_below(&x, 4) ? 48 * HOUR : rng_below(&x, 30 * HOUR));
			n_mw++;
		}
		r[i].n_mw = k;
	}

	for (int run = 0; run < RUNS; run++) {
		int64_t t0 = now_ns();
		for (size_t i = 0; i < n_runners; i++) {
			struct account_input in = {.iv = iv + r[i].iv_off,
			                           .n_iv = r[i].n_iv,
			                           .mw = mw + r[i].mw_off,
			                           .n_mw = r[i].n_mw,
			                           .policy = &pol,
			                           .now_ms = now,
			                           .created_ms = from - 86400000};
			struct rw_availability av;
			account_judge(&in, from, to, pol.floor_ppm, &av);
			check += av.totals.ms[RW_STATE_MAINTENANCE] + (int64_t)av.verdict;
		}
		ns[run] = now_ns() - t0;
	}
	qsort(ns, RUNS, sizeof(ns[0]), cmp_i64);
	printf("account_bench: %zu runners, 30-day window, %.1f intervals and %.1f maintenance "
	       "windows per runner\n",
	       n_runners, (double)n_iv / (double)n_runners, (double)n_mw / (double)n_runners);
	printf("account_bench: median of %d runs %.2f ms total, %.3f us per runner "
	       "(min %.2f ms, max %.2f ms; check %" PRId64 ")\n",
	       RUNS, (double)ns[RUNS / 2] / 1e6, (double)ns[RUNS / 2] / 1e3 / (double)n_runners,
	       (double)ns[0] / 1e6, (double)ns[RUNS - 1] / 1e6, check);
	free(iv);
	free(mw);
	free(r);
	return 0;
}
