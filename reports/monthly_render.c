/* SPDX-License-Identifier: MIT */
/*
 * monthly_render.c — the monthly report as Markdown and CSV, the header lines
 * every format for people shares, and the dispatch; see monthly_render.h.
 */
#include "reports/monthly_render.h"

#include <string.h>

#include "policy/base/rw_error.h"
#include "reports/fmt.h"
#include "reports/month.h"
#include "reports/monthly_tables.h"

int report_format_parse(const char *s, enum report_format *out)
{
	static const struct {
		const char *name;
		enum report_format fmt;
	} names[] = {{"md", REPORT_MD},
	             {"json", REPORT_JSON},
	             {"csv", REPORT_CSV},
	             {"html", REPORT_HTML}};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].fmt;
			return 0;
		}
	return RW_EINVAL;
}

/* ---- Markdown ------------------------------------------------------------ */

static void md_line(FILE *f, const char *label, const char *text)
{
	fprintf(f, "- %s: ", label);
	table_put_md(f, text);
	fputc('\n', f);
}

static int render_md(FILE *f, const struct monthly *m)
{
	char title[128], period[256], policy[256], t[FMT_LEN], d[FMT_LEN];
	int rc;

	monthly_tables_header(m, title, sizeof(title), period, sizeof(period), policy,
	                      sizeof(policy));
	fputs("# ", f);
	table_put_md(f, title);
	fputs("\n\n", f);
	md_line(f, "Period", period);
	md_line(f, "Policy", policy);
	fprintf(f, "- Policy SHA-256: `%s`\n", m->policy->sha256);
	if (m->operator_filter)
		md_line(f, "Operator", m->operator_filter);
	if (m->generated_ms >= 0) {
		fmt_when(m->generated_ms, t);
		fprintf(f, "- Generated: %s UTC\n", t);
	}

	fputs("\n## Summary\n\n", f);
	rc = monthly_tables_summary(m, f, TABLE_MD, NULL);
	fmt_floor(m->policy->pol.floor_ppm, t);
	fmt_floor(m->policy->pol.window.min_coverage_ppm, d);
	fprintf(f,
	        "\nA runner PASSes when its uptime, up / (up + down), is at or above its floor "
	        "(the strictest of its targets' tiers; %s by default) counting its unknown time "
	        "as down, or when its coverage is at least %s and its uptime at or above the "
	        "floor; it FAILs when it is below the floor even counting unknown time as up; "
	        "otherwise it is INDETERMINATE. Maintenance is credited up to %u h a month with "
	        "%u h notice; a blip is a run of fewer than %u failed probes between two "
	        "successes. Latency and blips come from the daily rollups of %lld of the "
	        "month's %zu days. All times are UTC.\n",
	        t, d, (unsigned)m->policy->pol.maintenance.max_h_per_month,
	        (unsigned)m->policy->pol.maintenance.min_notice_h,
	        (unsigned)m->policy->pol.probe.failures_to_down, (long long)m->rollup_days,
	        m->n_days);
	if (rc == 0 && m->monitor.n_blind) {
		fputs("\n### Monitor blind periods\n\n", f);
		rc = monthly_tables_blind(m, f, TABLE_MD, NULL);
	}
	if (rc == 0 && m->n_vantages) {
		fprintf(f, "\n### Vantage points\n\n%s\n\n", monthly_tables_vantages_note());
		rc = monthly_tables_vantages(m, f, TABLE_MD, NULL);
	}
	if (rc == 0) {
		fputs("\n## Targets\n\n", f);
		rc = monthly_tables_targets(m, f, TABLE_MD, NULL);
	}
	if (rc == 0) {
		fputs("\n## Runners\n\n", f);
		rc = monthly_tables_runners(m, f, TABLE_MD, NULL);
	}
	if (rc == 0 && m->n_pools) {
		fprintf(f, "\n## GitHub pools\n\n%s\n\n", monthly_tables_pools_note());
		rc = monthly_tables_pools(m, f, TABLE_MD, NULL);
	}
	if (rc == 0) {
		fputs("\n## Operators\n\n", f);
		rc = monthly_tables_operators(m, f, TABLE_MD, NULL);
	}
	if (rc == 0) {
		fputs("\n## Incidents\n\n", f);
		if (m->n_incidents == 0) {
			fputs("No incidents.\n", f);
		} else {
			fputs("Times to acknowledge and to mitigate are measured from the "
			      "incident's "
			      "start.\n\n",
			      f);
			rc = monthly_tables_incidents(m, f, TABLE_MD, NULL);
		}
	}
	return rc < 0 ? rc : ferror(f) ? RW_EIO : 0;
}

/* ---- CSV ------------------------------------------------------------------ */

static int render_csv(FILE *f, const struct monthly *m)
{
	return monthly_tables_runners_csv(m, f);
}

int monthly_render(FILE *f, const struct monthly *m, enum report_format fmt)
{
	switch (fmt) {
	case REPORT_MD: return render_md(f, m);
	case REPORT_JSON: return monthly_render_json(f, m);
	case REPORT_CSV: return render_csv(f, m);
	case REPORT_HTML: return monthly_render_html(f, m);
	}
	return RW_EINVAL;
}
