/* SPDX-License-Identifier: MIT */
/* metrics.c — histograms and Prometheus text-format helpers; see metrics.h. */
#include "monitor/core/metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

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

void metrics_value(struct strbuf *b, double v)
{
	char tmp[40];

	if (isnan(v)) {
		strbuf_puts(b, "NaN");
		return;
	}
	if (isinf(v)) {
		strbuf_puts(b, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	/* %.15g is exact for every integer below 10^15 and reads better than
	 * %.17g (0.003, not 0.0030000000000000001); fall back when it is not
	 * the same double. */
	snprintf(tmp, sizeof(tmp), "%.15g", v);
	if (strtod(tmp, NULL) != v)
		snprintf(tmp, sizeof(tmp), "%.17g", v);
	strbuf_puts(b, tmp);
}

void metrics_label_value(struct strbuf *b, const char *s)
{
	const char *run = s;

	strbuf_puts(b, "\"");
	for (; *s; s++) {
		const char *esc;
		switch (*s) {
		case '\\': esc = "\\\\"; break;
		case '"': esc = "\\\""; break;
		case '\n': esc = "\\n"; break;
		default: continue;
		}
		strbuf_append(b, run, (size_t)(s - run));
		strbuf_puts(b, esc);
		run = s + 1;
	}
	strbuf_append(b, run, (size_t)(s - run));
	strbuf_puts(b, "\"");
}

void metrics_family(struct strbuf *b, const char *name, const char *type, const char *help)
{
	strbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void metrics_scalar(struct strbuf *b, const char *name, const char *type, const char *help,
                    double value)
{
	metrics_family(b, name, type, help);
	strbuf_printf(b, "%s ", name);
	metrics_value(b, value);
	strbuf_puts(b, "\n");
}

/* The _bucket, _sum and _count lines, with one label when @p label is set. */
static void histogram_lines(struct strbuf *b, const char *name, const char *label,
                            const char *value, const struct histogram *h)
{
	uint64_t cum = 0;

	for (int i = 0; i <= METRICS_N_BUCKETS; i++) {
		strbuf_printf(b, "%s_bucket{", name);
		if (label) {
			strbuf_printf(b, "%s=", label);
			metrics_label_value(b, value);
			strbuf_puts(b, ",");
		}
		strbuf_puts(b, "le=\"");
		if (i < METRICS_N_BUCKETS) {
			cum += h->buckets[i];
			metrics_value(b, metrics_bucket_bounds[i]);
		} else {
			cum = h->count;
			strbuf_puts(b, "+Inf");
		}
		strbuf_printf(b, "\"} %llu\n", (unsigned long long)cum);
	}
	for (int k = 0; k < 2; k++) {
		strbuf_printf(b, "%s_%s", name, k ? "count" : "sum");
		if (label) {
			strbuf_printf(b, "{%s=", label);
			metrics_label_value(b, value);
			strbuf_puts(b, "}");
		}
		strbuf_puts(b, " ");
		if (k)
			strbuf_printf(b, "%llu\n", (unsigned long long)h->count);
		else
			metrics_value(b, h->sum_s);
		if (!k)
			strbuf_puts(b, "\n");
	}
}

void metrics_histogram(struct strbuf *b, const char *name, const char *help,
                       const struct histogram *h)
{
	metrics_family(b, name, "histogram", help);
	histogram_lines(b, name, NULL, NULL, h);
}

void metrics_histogram_labeled(struct strbuf *b, const char *name, const char *label,
                               const char *value, const struct histogram *h)
{
	histogram_lines(b, name, label, value, h);
}

const char *const metrics_gh_delivery_names[METRICS_GH_COUNT] = {
        [METRICS_GH_ACCEPTED] = "accepted",
        [METRICS_GH_DUPLICATE] = "duplicate",
        [METRICS_GH_BAD_SIGNATURE] = "bad_signature",
        [METRICS_GH_IGNORED] = "ignored",
        [METRICS_GH_INVALID] = "invalid",
};
