/* SPDX-License-Identifier: MIT */
/*
 * cli_slo.c — `runwarden policy export`: the policy's floors as SLO specs
 * (slo_export.h) for OpenSLO, Sloth or Pyrra, or the recording rule their
 * SLI needs. The policy is the file given, else the policy in force as the
 * database records it (policy_source_current(), as `policy whatif` reads
 * it), else the built-in defaults when the daemon recorded none.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/cli/cli.h"
#include "monitor/cli/slo_export.h"
#include "monitor/core/url.h"
#include "monitor/store/policy_source.h"
#include "policy/base/rw_error.h"

static const char export_usage[] =
        "usage: runwarden policy export --format openslo|sloth|pyrra|rules\n"
        "                               [--policy FILE | --db FILE] [--out FILE]\n"
        "\n"
        "Writes the policy's uptime floors as SLO specifications, one SLO per tier,\n"
        "one for the targets no tier maps (the default floor) and one per target the\n"
        "policy maps, each grouped by runner (every runner has its own objective):\n"
        "\n"
        "  openslo  OpenSLO v1 SLO objects: a calendar-month time window (UTC),\n"
        "           budgetingMethod Timeslices (one-minute slices)\n"
        "  sloth    a Sloth prometheus/v1 spec (sli.events; Sloth's own period)\n"
        "  pyrra    Pyrra ServiceLevelObjective objects (pyrra.dev/v1alpha1), a\n"
        "           bool_gauge over the policy's rolling window\n"
        "  rules    the Prometheus rule file that records their SLI,\n"
        "           " SLO_SLI_METRIC ", from /metrics: load it first\n"
        "\n"
        "  --format F     one of the above (required)\n"
        "  --policy FILE  the policy file to export (else the policy in force)\n"
        "  --db FILE      where the policy in force is recorded (else $RUNWARDEN_DB,\n"
        "                 else ./runwarden.db); opened read-only\n"
        "  --out FILE     write to FILE (replaced whole) instead of stdout\n"
        "\n"
        "A floor of 0 or 1 makes no SLO: it is left out, with a comment and a line\n"
        "on stderr. Exit status: 0 written; 1 the database or FILE could not be read\n"
        "or written; 2 a usage error, an invalid policy file (FILE:LINE: FIELD:\n"
        "problem) or no database.\n";

/* Writes @p len bytes to @p path through a temporary file renamed over it. */
static int write_out(const char *path, const char *data, size_t len)
{
	char tmp[4096];
	FILE *f;
	bool ok;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp))
		return cli_error(CLI_USAGE, "--out: %s: the path is too long", path);
	f = fopen(tmp, "wb");
	if (!f)
		return cli_error(CLI_FAIL, "--out: %s: %s", tmp, strerror(errno));
	ok = fwrite(data, 1, len, f) == len;
	ok = (fclose(f) == 0) && ok;
	if (!ok || rename(tmp, path) != 0) {
		int e = errno;
		remove(tmp);
		return cli_error(CLI_FAIL, "--out: %s: %s", path, strerror(e));
	}
	return CLI_OK;
}

int cli_policy_export(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"format", required_argument, NULL, 'f'}, {"policy", required_argument, NULL, 'p'},
	        {"db", required_argument, NULL, 'd'},     {"out", required_argument, NULL, 'o'},
	        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
	/* Canary URLs are checked as `policy check` checks them. */
	static const struct policy_parse_opts url_opts = {.check_url = url_check};
	const char *format = NULL, *policy = NULL, *db = NULL, *out = NULL;
	struct policy_source ps;
	struct slo_origin src;
	struct strbuf b, warn;
	enum slo_format f;
	char err[512];
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case 'p': policy = optarg; break;
		case 'd': db = optarg; break;
		case 'o': out = optarg; break;
		case 'h': fputs(export_usage, stdout); return CLI_OK;
		default: fputs(export_usage, stderr); return CLI_USAGE;
		}
	}
	if (optind != argc)
		return cli_error(CLI_USAGE,
		                 "policy export: unexpected argument \"%s\" (see --help)",
		                 argv[optind]);
	if (!format)
		return cli_error(CLI_USAGE,
		                 "policy export: --format: give openslo, sloth, pyrra or "
		                 "rules");
	if (slo_format_parse(format, &f) < 0)
		return cli_error(CLI_USAGE,
		                 "policy export: --format: \"%s\" is not openslo, sloth, pyrra or "
		                 "rules",
		                 format);
	if (policy && db)
		return cli_error(CLI_USAGE,
		                 "policy export: give --policy FILE or --db FILE, not both");
	policy_source_init(&ps);
	if (policy) {
		rc = policy_source_file(&ps, policy, &url_opts, err, sizeof(err));
		if (rc < 0)
			return cli_error(rc == RW_ENOMEM ? CLI_FAIL : CLI_USAGE, "%s", err);
	} else if (f != SLO_FORMAT_RULES) {
		const char *path = cli_db_path(db);
		struct store *st;
		if (!store_path_is_postgres(path) && access(path, F_OK) != 0)
			return cli_error(CLI_USAGE,
			                 "policy export: no database at %s (give --policy FILE, or "
			                 "--db FILE where the daemon runs)",
			                 path);
		if (store_open(&st, path, STORE_READONLY, err, sizeof(err)) < 0)
			return cli_error(CLI_FAIL, "%s", err);
		rc = policy_source_current(&ps, st, err, sizeof(err));
		store_close(st);
		if (rc < 0)
			return cli_error(CLI_FAIL, "%s: the policy in force: %s", path, err);
	}
	src.origin = ps.origin ? ps.origin : "built-in defaults";
	src.sha256 = ps.sha256;
	src.version = ps.pol.version;
	strbuf_init(&b);
	strbuf_init(&warn);
	slo_export(&ps.pol, &src, f, &b, &warn);
	policy_source_deinit(&ps);
	if (strbuf_failed(&b) || strbuf_failed(&warn)) {
		rc = cli_error(CLI_FAIL, "out of memory");
	} else {
		/* Each warning line as its own "runwarden: …" line. */
		for (char *line = warn.data, *nl; line && *line; line = nl + 1) {
			nl = strchr(line, '\n');
			*nl = '\0';
			fprintf(stderr, "runwarden: policy export: %s\n", line);
		}
		if (out) {
			rc = write_out(out, b.data, b.len);
		} else {
			rc = fwrite(b.data, 1, b.len, stdout) == b.len && fflush(stdout) == 0
			             ? CLI_OK
			             : cli_error(CLI_FAIL, "cannot write to stdout");
		}
	}
	strbuf_deinit(&b);
	strbuf_deinit(&warn);
	return rc;
}
