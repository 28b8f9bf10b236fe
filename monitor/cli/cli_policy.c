/* SPDX-License-Identifier: MIT */
/*
 * cli_policy.c — `runwarden policy check FILE` and `runwarden backup FILE`,
 * the two one-shot commands that check or copy what the daemon relies on.
 * `runwarden policy whatif …` is a report: it runs runwarden-report;
 * `runwarden policy export …` is cli_slo.c's.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/cli/cli.h"
#include "monitor/core/url.h"
#include "monitor/store/policy_source.h"
#include "policy/base/rw_error.h"

static const char policy_usage[] =
        "usage: runwarden policy check FILE\n"
        "       runwarden policy whatif NEW.json [--month YYYY-MM] [--db FILE]\n"
        "                               [--format text|json|md|csv]\n"
        "       runwarden policy export --format openslo|sloth|pyrra|rules\n"
        "                               [--policy FILE | --db FILE] [--out FILE]\n"
        "\n"
        "check validates a policy file. On success prints the normalized policy (every\n"
        "field, defaults included) and the SHA-256 of the file, and exits 0; on\n"
        "the first error prints FILE:LINE: FIELD: problem, and exits 2.\n"
        "\n"
        "whatif shows which runners NEW.json would change, against the policy in\n"
        "force: the month's verdict and eligibility now, per runner\n"
        "(`runwarden policy whatif --help`; runs runwarden-report).\n"
        "\n"
        "export writes the policy's floors as SLO specs for OpenSLO, Sloth or Pyrra,\n"
        "or the Prometheus rule their SLI needs (`runwarden policy export --help`).\n";

/* `policy check` checks canary URLs as the daemon will (url_check()). */
static const struct policy_parse_opts url_opts = {.check_url = url_check};

int cli_policy(int argc, char **argv)
{
	struct policy_source ps;
	char err[512], *json;
	int rc;

	if ((argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) ||
	    (argc == 3 && strcmp(argv[1], "check") == 0 &&
	     (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0))) {
		fputs(policy_usage, stdout);
		return CLI_OK;
	}
	if (argc >= 2 && strcmp(argv[1], "whatif") == 0)
		return cli_exec_report("whatif", argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "export") == 0)
		return cli_policy_export(argc - 1, argv + 1);
	if (argc != 3 || strcmp(argv[1], "check") != 0) {
		fputs(policy_usage, stderr);
		return CLI_USAGE;
	}
	policy_source_init(&ps);
	rc = policy_source_file(&ps, argv[2], &url_opts, err, sizeof(err));
	if (rc < 0)
		return cli_error(rc == RW_ENOMEM ? CLI_FAIL : CLI_USAGE, "%s", err);
	json = policy_to_json(&ps.pol);
	if (!json) {
		policy_source_deinit(&ps);
		return cli_error(CLI_FAIL, "out of memory");
	}
	fputs(json, stdout);
	printf("sha256 %s\n", ps.sha256);
	policy_source_deinit(&ps);
	free(json);
	return CLI_OK;
}

static const char backup_usage[] =
        "usage: runwarden backup FILE [--db FILE]\n"
        "\n"
        "Copies the database to FILE (which must not exist) while the daemon may\n"
        "keep running (SQLite online backup), then checks the copy with\n"
        "PRAGMA integrity_check.\n";

int cli_backup(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	const char *db = NULL;
	struct store *st;
	char err[512];
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'h': fputs(backup_usage, stdout); return CLI_OK;
		default: fputs(backup_usage, stderr); return CLI_USAGE;
		}
	}
	if (argc - optind != 1) {
		fputs(backup_usage, stderr);
		return CLI_USAGE;
	}
	rc = cli_open_store(cli_db_path(db), false, &st);
	if (rc)
		return rc;
	rc = store_backup(st, argv[optind], err, sizeof(err));
	store_close(st);
	if (rc < 0)
		return cli_error(rc == RW_EEXIST ? CLI_USAGE : CLI_FAIL, "%s", err);
	printf("backup written to %s (integrity_check ok)\n", argv[optind]);
	return CLI_OK;
}
