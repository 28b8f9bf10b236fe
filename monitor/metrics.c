/* SPDX-License-Identifier: MIT */
/* metrics.c — histograms and Prometheus text-format helpers; see metrics.h. */
#include "metrics.h"

const double metrics_bucket_bounds[METRICS_N_BUCKETS] = {
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

void histogram_observe(struct histogram *h, double seconds)
{
	int i;
	for (i = 0; i < METRICS_N_BUCKETS; i++)
		if (seconds <= metrics_bucket_bounds[i])
			break;
	if (i < METRICS_N_BUCKETS)
		h->buckets[i]++;
	h->count++;
	h->sum_s += seconds;
}

double histogram_quantile(const struct histogram *h, double q)
{
	uint64_t want, seen = 0;

	if (h->count == 0)
		return 0;
	want = (uint64_t)(q * (double)h->count);
	if (want == 0)
		want = 1;
	for (int i = 0; i < METRICS_N_BUCKETS; i++) {
		seen += h->buckets[i];
		if (seen >= want)
			return metrics_bucket_bounds[i];
	}
	return 1.0 / 0.0; /* +Inf: beyond the last bucket */
}

void metrics_scalar(struct strbuf *b, const char *name, const char *type, const char *help,
                    double value)
{
	strbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name, type, name,
	              value);
}

void metrics_histogram(struct strbuf *b, const char *name, const char *help,
                       const struct histogram *h)
{
	uint64_t cum = 0;

	strbuf_printf(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (int i = 0; i < METRICS_N_BUCKETS; i++) {
		cum += h->buckets[i];
		strbuf_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name, metrics_bucket_bounds[i],
		              (unsigned long long)cum);
	}
	strbuf_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.17g\n%s_count %llu\n", name,
	              (unsigned long long)h->count, name, h->sum_s, name,
	              (unsigned long long)h->count);
}
