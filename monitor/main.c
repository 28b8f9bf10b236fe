/* SPDX-License-Identifier: MIT */
/*
 * main.c — the `runwarden` command: dispatches to the subcommands. The only
 * place that creates the libuv loop and sets process-wide state (the log
 * level, libcurl's global init).
 */
#include <curl/curl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "monitor/cli/cli.h"
#include "monitor/core/config.h"
#include "monitor/core/log.h"
#include "monitor/daemon/daemon.h"

static const char usage[] =
        "usage: runwarden COMMAND [ARGS]\n"
        "\n"
        "runwarden watches CI runners, measures their availability against an uptime\n"
        "policy, and tells CI scheduling which runners may take jobs.\n"
        "\n"
        "commands:\n"
        "  serve                 run the daemon (probes, storage, HTTP API)\n"
        "  operator add|list     manage runner operators\n"
        "  runner add|list|show|approve|retire|import\n"
        "                        manage runners\n"
        "  maintenance add|list|remove\n"
        "                        declare, list and remove maintenance windows\n"
        "  route TARGET          which runners may take a job for TARGET (exit 0/3)\n"
        "  policy check FILE     validate a policy file\n"
        "  policy whatif FILE    which runners a new policy would change\n"
        "  policy export --format openslo|sloth|pyrra|rules\n"
        "                        the policy's floors as SLO specs\n"
        "  report monthly --month YYYY-MM\n"
        "                        the monthly compliance report (md, json, csv, html)\n"
        "  backup FILE           online copy of the database\n"
        "\n"
        "`runwarden COMMAND --help` documents each command. The database is --db FILE,\n"
        "else $RUNWARDEN_DB, else ./runwarden.db; FILE may be a PostgreSQL URI\n"
        "(postgresql://USER@HOST/DBNAME). --version prints the version.\n"
        "The manual: runwarden(1), runwarden.conf(5), runwarden-policy(5).\n";

static const char serve_usage[] =
        "usage: runwarden serve [--db FILE] [--init] [--policy FILE] [--config FILE]\n"
        "                       [--listen ADDR:PORT] [--allow-cidr CIDR]...\n"
        "                       [--log-level debug|info|warn|error] [--max-concurrency N]\n"
        "                       [--tls-cert FILE --tls-key FILE] [--vantage NAME]\n"
        "\n"
        "Runs the daemon in the foreground until SIGTERM or SIGINT; SIGHUP reloads\n"
        "the policy (an invalid file keeps the old one) and the TLS certificate.\n"
        "Listens on " RW_DEFAULT_LISTEN " by default (port 0 picks a free port; the\n"
        "line \"listening on URL\" on stdout says which). Probes refuse loopback,\n"
        "private, link-local and other internal addresses unless --allow-cidr\n"
        "(repeatable) allows them.\n"
        "\n"
        "  --db FILE             the database (else $RUNWARDEN_DB, else ./runwarden.db),\n"
        "                        or a postgresql:// URI; it must exist (`runwarden\n"
        "                        operator add` makes it, or gives it its schema)\n"
        "  --init                create the database when there is none (without it a\n"
        "                        mistyped --db is refused, not served empty)\n"
        "  --policy FILE         the uptime policy (else the built-in defaults)\n"
        "  --config FILE         a JSON config file; flags win over it\n"
        "  --listen ADDR:PORT    where the HTTP API listens\n"
        "  --allow-cidr CIDR     let probes reach this range (repeatable)\n"
        "  --log-level LEVEL     debug, info, warn or error (default info)\n"
        "  --max-concurrency N   probes in flight at most (default 4096)\n"
        "  --tls-cert FILE       serve HTTPS with this PEM certificate chain (the\n"
        "                        server's certificate first); needs --tls-key\n"
        "  --tls-key FILE        the certificate's PEM private key, unencrypted\n"
        "  --vantage NAME        this daemon's vantage point, 1 to 63 of [A-Za-z0-9._-]\n"
        "                        (default: the host name); its samples, runs and\n"
        "                        blind periods are stored under it, and its probes\n"
        "                        send User-Agent: runwarden/VERSION (vantage NAME)\n"
        "\n"
        "With TLS the listener speaks HTTPS only (TLS 1.2 and 1.3, HTTP/1.1); both\n"
        "files are read at start-up and again on SIGHUP, when a certificate that\n"
        "does not load leaves the old one in force.\n";

static int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
	                                     {"policy", required_argument, NULL, 'p'},
	                                     {"config", required_argument, NULL, 'c'},
	                                     {"listen", required_argument, NULL, 'l'},
	                                     {"allow-cidr", required_argument, NULL, 'a'},
	                                     {"log-level", required_argument, NULL, 'L'},
	                                     {"max-concurrency", required_argument, NULL, 'm'},
	                                     {"init", no_argument, NULL, 'i'},
	                                     {"tls-cert", required_argument, NULL, 'C'},
	                                     {"tls-key", required_argument, NULL, 'K'},
	                                     {"vantage", required_argument, NULL, 'V'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	struct rw_config cfg;
	const char *db = NULL, *policy = NULL, *config = NULL, *listen = NULL, *level = NULL;
	const char *tls_cert = NULL, *tls_key = NULL, *vantage = NULL;
	const char *cidrs[GUARD_MAX_CIDRS];
	size_t n_cidrs = 0;
	long maxc = 0;
	bool init = false;
	char err[512], *end;
	uv_loop_t loop;
	int c, code;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'p': policy = optarg; break;
		case 'c': config = optarg; break;
		case 'l': listen = optarg; break;
		case 'a':
			if (n_cidrs == GUARD_MAX_CIDRS)
				return cli_error(CLI_USAGE, "--allow-cidr: at most %d",
				                 GUARD_MAX_CIDRS);
			cidrs[n_cidrs++] = optarg;
			break;
		case 'L': level = optarg; break;
		case 'm':
			maxc = strtol(optarg, &end, 10);
			if (*end || maxc < 1 || maxc > 100000)
				return cli_error(CLI_USAGE,
				                 "--max-concurrency: \"%s\" is not in [1, 100000]",
				                 optarg);
			break;
		case 'i': init = true; break;
		case 'C': tls_cert = optarg; break;
		case 'K': tls_key = optarg; break;
		case 'V': vantage = optarg; break;
		case 'h': fputs(serve_usage, stdout); return CLI_OK;
		default: fputs(serve_usage, stderr); return CLI_USAGE;
		}
	}
	if (optind != argc)
		return cli_error(CLI_USAGE, "serve: unexpected argument \"%s\" (see --help)",
		                 argv[optind]);
	config_defaults(&cfg);
	if (config && config_load_file(&cfg, config, err, sizeof(err)) < 0)
		return cli_error(CLI_USAGE, "%s", err);
	if (db)
		snprintf(cfg.db_path, sizeof(cfg.db_path), "%s", db);
	if (policy)
		snprintf(cfg.policy_path, sizeof(cfg.policy_path), "%s", policy);
	if (listen && config_set_listen(&cfg, listen, err, sizeof(err)) < 0)
		return cli_error(CLI_USAGE, "--%s", err);
	if (level && log_parse_level(level, &cfg.log_level) < 0)
		return cli_error(CLI_USAGE,
		                 "--log-level: \"%s\" is not one of debug, info, warn, error",
		                 level);
	if (maxc)
		cfg.max_concurrency = (size_t)maxc;
	cfg.init = init;
	if (config_set_tls(&cfg, tls_cert, tls_key, err, sizeof(err)) < 0)
		return cli_error(CLI_USAGE, "%s", err);
	for (size_t i = 0; i < n_cidrs; i++)
		if (config_add_cidr(&cfg, cidrs[i], err, sizeof(err)) < 0)
			return cli_error(CLI_USAGE, "--allow-cidr: %s", err);
	if (vantage && config_set_vantage(&cfg, vantage, "--vantage", err, sizeof(err)) < 0)
		return cli_error(CLI_USAGE, "%s", err);
	if (config_default_vantage(&cfg, err, sizeof(err)) < 0)
		return cli_error(CLI_USAGE, "%s", err);
	log_set_level(cfg.log_level);
	/* A peer that resets its connection makes the next write to it fail
	 * with EPIPE, which must be an error code, not a signal that kills the
	 * daemon: libuv writes with plain write(2), and the TLS close writes a
	 * close_notify after the peer may have gone. */
	signal(SIGPIPE, SIG_IGN);
	/* getaddrinfo runs on libuv's thread pool, where a name that is never
	 * answered holds a thread for resolv.conf's timeout. One operator's
	 * names hold at most RESOLVER_PER_KEY (4) threads (probe/resolver.h),
	 * so 64 leave room for 15 operators with broken names at once. */
	setenv("UV_THREADPOOL_SIZE", "64", 0);
	if (uv_loop_init(&loop) != 0)
		return cli_error(CLI_FAIL, "cannot create the event loop");
	code = daemon_run(&loop, &cfg);
	if (uv_loop_close(&loop) != 0)
		log_msg(RW_LOG_WARN, "event loop closed with handles still open", NULL, NULL);
	config_deinit(&cfg);
	return code;
}

int main(int argc, char **argv)
{
	const char *cmd;
	int code;

	if (argc < 2) {
		fputs(usage, stderr);
		return CLI_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage, stdout);
		return CLI_OK;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("runwarden %s\n", RW_VERSION);
		return CLI_OK;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return cli_error(CLI_FAIL, "libcurl failed to initialise");
	if (strcmp(cmd, "serve") == 0)
		code = cmd_serve(argc - 1, argv + 1);
	else if (strcmp(cmd, "operator") == 0)
		code = cli_operator(argc - 1, argv + 1);
	else if (strcmp(cmd, "runner") == 0)
		code = cli_runner(argc - 1, argv + 1);
	else if (strcmp(cmd, "maintenance") == 0)
		code = cli_maintenance(argc - 1, argv + 1);
	else if (strcmp(cmd, "route") == 0)
		code = cli_route(argc - 1, argv + 1);
	else if (strcmp(cmd, "policy") == 0)
		code = cli_policy(argc - 1, argv + 1);
	else if (strcmp(cmd, "backup") == 0)
		code = cli_backup(argc - 1, argv + 1);
	else if (strcmp(cmd, "report") == 0 && argc >= 3)
		code = cli_exec_report(argv[2], argc - 3, argv + 3); /* runwarden-report */
	else if (strcmp(cmd, "report") == 0)
		code = cli_error(CLI_USAGE,
		                 "report: which report? (runwarden report monthly --help)");
	else
		code = cli_error(CLI_USAGE, "unknown command \"%s\" (see runwarden --help)", cmd);
	curl_global_cleanup();
	return code;
}
