/* SPDX-License-Identifier: MIT */
/*
 * write_bench.c — the writer's path into the store: store_write_batch() of
 * 1,000-record batches (samples, with a state change and a tick each), on an
 * SQLite file or a PostgreSQL database, as the writer thread commits them.
 *
 *   write_bench DB [RUNNERS] [BATCHES]
 *
 * DB is a new file path or a libpq URI of an empty database. Prints the
 * records per second and the median and worst batch time.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "monitor/store/store.h"

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *db = argc > 1 ? argv[1] : NULL;
	int runners = argc > 2 ? atoi(argv[2]) : 1000, batches = argc > 3 ? atoi(argv[3]) : 200;
	struct store *st = NULL;
	struct store_rec recs[1000];
	char err[1024];
	uint8_t tok[32] = {1};
	int64_t op, run, *ids, *took, t0, total;

	if (!db || runners < 1 || batches < 1) {
		fprintf(stderr, "usage: write_bench DB [RUNNERS] [BATCHES]\n");
		return 2;
	}
	if (store_open(&st, db, STORE_CREATE, err, sizeof(err)) < 0) {
		fprintf(stderr, "write_bench: %s\n", err);
		return 1;
	}
	ids = calloc((size_t)runners, sizeof(*ids));
	took = calloc((size_t)batches, sizeof(*took));
	if (!ids || !took || store_operator_add(st, "bench", "b@example.org", tok, 1, &op) < 0)
		return 1;
	for (int i = 0; i < runners; i++) {
		char name[32], *targets[] = {(char *)"x86_64-unknown-linux-gnu"};
		struct store_runner r = {0};
		snprintf(name, sizeof(name), "r%d", i);
		r.operator_id = op;
		r.name = name;
		r.kind = (char *)"http";
		r.url = (char *)"http://127.0.0.1/";
		r.targets = targets;
		r.n_targets = 1;
		r.status = STORE_RUNNER_APPROVED;
		if (store_runner_add(st, &r, 1000) < 0)
			return 1;
		ids[i] = r.id;
	}
	if (store_run_begin(st, 1000, &run, &t0) < 0)
		return 1;
	t0 = now_us();
	for (int b = 0; b < batches; b++) {
		int64_t ts = 10000 + (int64_t)b * 1000;
		for (int i = 0; i < 998; i++) {
			memset(&recs[i], 0, sizeof(recs[i]));
			recs[i].kind = STORE_REC_SAMPLE;
			recs[i].u.sample.runner_id = ids[(b * 998 + i) % runners];
			recs[i].u.sample.ts_ms = ts + i;
			recs[i].u.sample.latency_us = 1000;
			recs[i].u.sample.http_status = 200;
		}
		memset(&recs[998], 0, 2 * sizeof(recs[0]));
		recs[998].kind = STORE_REC_CHANGE;
		recs[998].u.change.runner_id = ids[b % runners];
		recs[998].u.change.start_ms = ts;
		recs[998].u.change.state = b % 2 ? 1 : 2; /* up, down */
		recs[999].kind = STORE_REC_TICK;
		recs[999].u.tick.run_id = run;
		recs[999].u.tick.ts_ms = ts;
		int64_t s = now_us();
		if (store_write_batch(st, recs, 1000) < 0) {
			fprintf(stderr, "write_bench: batch %d: %s\n", b, store_errmsg(st));
			return 1;
		}
		took[b] = now_us() - s;
	}
	total = now_us() - t0;
	qsort(took, (size_t)batches, sizeof(*took), cmp64);
	printf("backend=%s runners=%d batches=%d records_per_s=%.0f batch_median_ms=%.2f "
	       "batch_max_ms=%.2f\n",
	       store_path_is_postgres(db) ? "postgresql" : "sqlite", runners, batches,
	       batches * 1000.0 / (total / 1e6), took[batches / 2] / 1000.0,
	       took[batches - 1] / 1000.0);
	store_close(st);
	free(ids);
	free(took);
	return 0;
}
