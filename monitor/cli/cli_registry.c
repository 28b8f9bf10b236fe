/* SPDX-License-Identifier: MIT */
/*
 * cli_registry.c — `runwarden operator …` and `runwarden runner …`.
 *
 * Every command validates all of its input with runner_spec.c before it
 * writes anything, and writes in one transaction. A runner added here is
 * approved at once: the CLI is the admin.
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/cli/cli.h"
#include "monitor/core/clock.h"
#include "monitor/core/config.h"
#include "monitor/core/guard.h"
#include "monitor/intake/auth.h"
#include "monitor/intake/runner_spec.h"
#include "policy/base/rfc3339.h"
#include "policy/base/rw_error.h"
#include "policy/base/xesc.h"
#include "policy/policy.h"

/* ---- operator ---------------------------------------------------------- */

static const char operator_usage[] =
        "usage: runwarden operator add NAME --email EMAIL [--db FILE]\n"
        "       runwarden operator list [--json] [--db FILE]\n"
        "\n"
        "add    creates an operator and prints its id and API token. The token is\n"
        "       shown once: only its SHA-256 is stored.\n"
        "list   lists operators.\n";

static int operator_add(const char *db, const char *name, const char *email)
{
	char token[AUTH_TOKEN_MAX], err[256];
	uint8_t hash[32];
	struct store *st;
	int64_t id;
	int rc;

	if (spec_check_name("name", name, err, sizeof(err)) < 0 ||
	    spec_check_email(email, err, sizeof(err)) < 0)
		return cli_error(CLI_USAGE, "%s", err);
	if (auth_new_token("rw_", token, hash) < 0)
		return cli_error(CLI_FAIL, "no random bytes for the token");
	rc = cli_open_store(db, true, &st);
	if (rc)
		return rc;
	rc = store_operator_add(st, name, email, hash, clock_wall_ms(), &id);
	store_close(st);
	if (rc == RW_EEXIST)
		return cli_error(CLI_USAGE, "name: operator \"%s\" already exists", name);
	if (rc < 0)
		return cli_error(CLI_FAIL, "%s: %s", db, rw_strerror(rc));
	printf("operator %s id %" PRId64 "\ntoken %s\n", name, id, token);
	printf("(the token is shown once; store it now)\n");
	return CLI_OK;
}

static int operator_list(const char *db, bool json)
{
	struct store *st;
	struct store_operator *ops;
	size_t n;
	int rc = cli_open_store(db, false, &st);

	if (rc)
		return rc;
	rc = store_operator_list(st, &ops, &n);
	store_close(st);
	if (rc < 0)
		return cli_error(CLI_FAIL, "%s: %s", db, rw_strerror(rc));
	if (json) {
		cJSON *arr = cJSON_CreateArray();
		for (size_t i = 0; i < n; i++) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddNumberToObject(o, "id", (double)ops[i].id);
			cJSON_AddStringToObject(o, "name", ops[i].name);
			cJSON_AddStringToObject(o, "email", ops[i].email);
			cJSON_AddItemToArray(arr, o);
		}
		char *s = cJSON_Print(arr);
		puts(s ? s : "[]");
		free(s);
		cJSON_Delete(arr);
	} else {
		printf("%-6s %-24s %s\n", "ID", "NAME", "EMAIL");
		for (size_t i = 0; i < n; i++)
			printf("%-6" PRId64 " %-24s %s\n", ops[i].id, ops[i].name, ops[i].email);
	}
	store_operators_free(ops, n);
	return CLI_OK;
}

int cli_operator(int argc, char **argv)
{
	static const struct option opts[] = {{"email", required_argument, NULL, 'e'},
	                                     {"db", required_argument, NULL, 'd'},
	                                     {"json", no_argument, NULL, 'j'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	const char *email = NULL, *db = NULL;
	bool json = false;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'e': email = optarg; break;
		case 'd': db = optarg; break;
		case 'j': json = true; break;
		case 'h': fputs(operator_usage, stdout); return CLI_OK;
		default: fputs(operator_usage, stderr); return CLI_USAGE;
		}
	}
	if (optind < argc && strcmp(argv[optind], "add") == 0) {
		if (argc - optind != 2)
			return cli_error(CLI_USAGE, "operator add takes one NAME (see --help)");
		if (!email)
			return cli_error(CLI_USAGE, "email: --email is required");
		return operator_add(cli_db_path(db), argv[optind + 1], email);
	}
	if (optind < argc && strcmp(argv[optind], "list") == 0)
		return operator_list(cli_db_path(db), json);
	fputs(operator_usage, stderr);
	return CLI_USAGE;
}

/* ---- runner -------------------------------------------------------------- */

static const char runner_usage[] =
        "usage: runwarden runner add --operator NAME --name NAME --target TRIPLE [--target ...]\n"
        "                            (--url URL | --push) [--label LABEL ...]\n"
        "                            [--interval SECONDS] [--timeout MS] [--db FILE]\n"
        "                            [--allow-cidr CIDR ...] [--config FILE]\n"
        "       runwarden runner add --operator NAME --name POOL --target TRIPLE [--target ...]\n"
        "                            --github OWNER[/REPO] --label LABEL [--label ...]\n"
        "                            [--min-online N] [--pickup-within SECONDS] [--db FILE]\n"
        "       runwarden runner list [--json] [--db FILE]\n"
        "       runwarden runner show NAME|ID [--json] [--db FILE]\n"
        "       runwarden runner approve NAME|ID [--no-probation] [--db FILE]\n"
        "       runwarden runner retire NAME|ID [--db FILE]\n"
        "       runwarden runner import FILE [--db FILE] [--allow-cidr CIDR ...]\n"
        "                               [--config FILE]\n"
        "\n"
        "add      registers a runner, approved at once (the CLI is the admin): probed at\n"
        "         --url, or --push: it POSTs heartbeats with the token printed once.\n"
        "         --label: a runs-on label (repeatable), for GET /v1/route?label=.\n"
        "         --github: a pool of the self-hosted runners of a GitHub organisation\n"
        "         (OWNER) or repository (OWNER/REPO) that carry every --label; the daemon\n"
        "         adds each such runner as a member, POOL/NAME. --min-online: members\n"
        "         that must be online (default 1, or 0 with --pickup-within);\n"
        "         --pickup-within: a job queued with the labels must start within\n"
        "         SECONDS.\n"
        "         The URL is checked as the daemon's address guard checks it: loopback,\n"
        "         private, link-local and other internal addresses are refused unless\n"
        "         --allow-cidr (repeatable) or the allow_cidrs of --config FILE (the\n"
        "         config `serve` reads; its db is used when --db is not given) allow\n"
        "         them. Give the daemon the same ranges, or it will not probe them.\n"
        "list     lists runners with their status and last known state.\n"
        "show     shows one runner.\n"
        "approve  approves a pending runner (approving an approved one changes nothing).\n"
        "         --no-probation: no probation (flagging.probation_days of the policy\n"
        "         after registration, 7 by default) for a runner whose record is elsewhere,\n"
        "         e.g. migrated from another monitor: eligible as soon as it is up. Also\n"
        "         for a runner approved already (runner add approves at once).\n"
        "retire   stops watching a pending or approved runner; its history is kept.\n"
        "         A retired runner stays retired: approve and retire exit 2.\n"
        "         The daemon retires a GitHub pool's members; retire the pool instead.\n"
        "import   adds runners from a JSON array of {\"operator\", \"name\", \"targets\", "
        "\"url\"}\n"
        "         (optional \"labels\"), or of GitHub pools {..., \"github\", \"labels\",\n"
        "         \"min_online\", \"pickup_within_s\"}; every entry is checked before any "
        "is written.\n"
        "         URLs are checked as for add (--allow-cidr, --config).\n"
        "A running daemon picks changes up within a second.\n";

struct runner_opts {
	const char *db, *operator_name, *name, *url, *github, *config;
	const char *cidrs[GUARD_MAX_CIDRS];
	size_t n_cidrs;
	const char *targets[RUNNER_SPEC_MAX_TARGETS + 1];
	size_t n_targets;
	const char *labels[RUNNER_SPEC_MAX_TARGETS + 1];
	size_t n_labels;
	long interval_s, timeout_ms;
	long min_online, pickup_within_s; /* -1: not given */
	bool json, push, no_probation;
};

/* The flags that go with --github alone, and those that do not go with it:
 * one line naming the flag, or 0. */
static int check_mode_flags(const struct runner_opts *o)
{
	if (o->github && o->url)
		return cli_error(
		        CLI_USAGE,
		        "--url: a --github pool has no URL (GitHub says whether its runners "
		        "are online); give either --github or --url");
	if (o->github && o->push)
		return cli_error(
		        CLI_USAGE,
		        "--push: a --github pool gets no heartbeats (GitHub says whether its "
		        "runners are online); give either --github or --push");
	if (!o->github && o->min_online != -1)
		return cli_error(CLI_USAGE,
		                 "--min-online: only a --github pool has members; add --github "
		                 "OWNER[/REPO] or leave --min-online out");
	if (!o->github && o->pickup_within_s != -1)
		return cli_error(
		        CLI_USAGE,
		        "--pickup-within: only a --github pool picks up jobs; add --github "
		        "OWNER[/REPO] or leave --pickup-within out");
	return 0;
}

/* The guard of add and import, and the database (--db, else the config's). */
static int load_guard(struct runner_opts *o, struct rw_config *cfg, struct guard *g,
                      const char **db)
{
	int rc = cli_load_guard(o->config, o->cidrs, o->n_cidrs, cfg, g);

	*db = o->db ? o->db : cfg->db_path;
	return rc;
}

static int runner_add_checked(struct runner_opts *o, const struct guard *g, const char *db);

static int runner_add(struct runner_opts *o)
{
	struct rw_config cfg;
	struct guard g;
	const char *db;
	int rc = load_guard(o, &cfg, &g, &db);

	if (rc == CLI_OK)
		rc = runner_add_checked(o, &g, db);
	config_deinit(&cfg);
	return rc;
}

static int runner_import(struct runner_opts *o, const char *file)
{
	struct rw_config cfg;
	struct guard g;
	const char *db;
	int rc = load_guard(o, &cfg, &g, &db);

	if (rc == CLI_OK)
		rc = cli_runner_import(db, &g, file);
	config_deinit(&cfg);
	return rc;
}

static int runner_add_checked(struct runner_opts *o, const struct guard *g, const char *db)
{
	struct store *st;
	struct store_runner sr;
	char err[512], token[AUTH_TOKEN_MAX];
	uint8_t hash[32];
	int64_t now = clock_wall_ms();
	int rc;
	struct spec_github gh = {.source = o->github,
	                         .labels = o->labels,
	                         .n_labels = o->n_labels,
	                         .has_min_online = o->min_online != -1,
	                         .min_online = o->min_online,
	                         .has_pickup = o->pickup_within_s != -1,
	                         .pickup_within_s = o->pickup_within_s,
	                         .interval_s = o->interval_s,
	                         .timeout_ms = o->timeout_ms};

	rc = check_mode_flags(o);
	if (rc)
		return rc;
	if (o->push && o->url)
		return cli_error(CLI_USAGE,
		                 "url: a --push runner has no URL; give --url or --push");
	if (!o->operator_name)
		return cli_error(CLI_USAGE, "operator: --operator is required");
	if (!o->name)
		return cli_error(CLI_USAGE, "name: --name is required");
	if (!o->url && !o->push && !o->github)
		return cli_error(CLI_USAGE, "url: --url (or --push, or --github) is required");
	if (o->github ? spec_check_github_pool(&gh, &spec_github_flags, NULL, err, sizeof(err)) < 0
	              : (spec_check_interval(o->interval_s, err, sizeof(err)) < 0 ||
	                 spec_check_timeout(o->timeout_ms, err, sizeof(err)) < 0 ||
	                 spec_check_labels(o->labels, o->n_labels, err, sizeof(err)) < 0))
		return cli_error(CLI_USAGE, "%s", err);
	rc = cli_open_store(db, false, &st);
	if (rc)
		return rc;
	rc = cli_check_runner(st, g, o->operator_name, o->name, o->targets, o->n_targets, o->url,
	                      o->github ? &gh : NULL, &sr, err, sizeof(err));
	if (rc < 0) {
		store_close(st);
		return cli_error(rc == RW_EINVAL ? CLI_USAGE : CLI_FAIL, "%s", err);
	}
	sr.interval_s = (uint32_t)o->interval_s;
	sr.timeout_ms = (uint32_t)o->timeout_ms;
	sr.labels = (char **)o->labels;
	sr.n_labels = o->n_labels;
	if (o->push && auth_new_token("rwh_", token, hash) < 0) {
		store_close(st);
		return cli_error(CLI_FAIL, "no random bytes for the heartbeat token");
	}
	/* The runner and its heartbeat token: one transaction. */
	rc = store_begin(st);
	if (rc == 0)
		rc = store_runner_insert(st, &sr, now);
	if (rc == 0 && o->push)
		rc = store_token_add(st, sr.operator_id, sr.id, hash, now, 0, NULL);
	if (rc == 0)
		rc = store_commit(st);
	if (rc < 0)
		store_rollback(st);
	store_close(st);
	if (rc == RW_EEXIST)
		return cli_error(CLI_USAGE, "name: runner \"%s\" already exists", o->name);
	if (rc < 0)
		return cli_error(CLI_FAIL, "adding the runner failed: %s", rw_strerror(rc));
	printf("runner %s id %" PRId64 " approved\n", o->name, sr.id);
	if (o->github)
		printf("(a GitHub pool of %s: a running daemon with a github config adds its "
		       "members as %s/NAME)\n",
		       o->github, o->name);
	if (o->push) {
		printf("heartbeat token %s\n", token);
		printf("(shown once; the runner POSTs /v1/runners/%" PRId64
		       "/heartbeat with it as a Bearer token)\n",
		       sr.id);
	}
	return CLI_OK;
}

static cJSON *runner_json(const struct store_runner *r)
{
	cJSON *o = cJSON_CreateObject(), *t = cJSON_CreateArray();
	char ts[40];

	cJSON_AddNumberToObject(o, "id", (double)r->id);
	cJSON_AddStringToObject(o, "name", r->name);
	cJSON_AddStringToObject(o, "operator", r->operator_name);
	for (size_t i = 0; i < r->n_targets; i++)
		cJSON_AddItemToArray(t, cJSON_CreateString(r->targets[i]));
	cJSON_AddItemToObject(o, "targets", t);
	t = cJSON_CreateArray();
	for (size_t i = 0; i < r->n_labels; i++)
		cJSON_AddItemToArray(t, cJSON_CreateString(r->labels[i]));
	cJSON_AddItemToObject(o, "labels", t);
	cJSON_AddStringToObject(o, "kind", r->kind);
	if (r->url)
		cJSON_AddStringToObject(o, "url", r->url);
	cJSON_AddStringToObject(o, "status", store_runner_status_name(r->status));
	cJSON_AddStringToObject(o, "state", rw_state_name(r->last_state));
	rfc3339_format(r->last_state_ms, ts, sizeof(ts));
	cJSON_AddStringToObject(o, "since", ts);
	rfc3339_format(r->created_ms, ts, sizeof(ts));
	cJSON_AddStringToObject(o, "created", ts);
	if (r->interval_s)
		cJSON_AddNumberToObject(o, "interval_s", r->interval_s);
	if (r->timeout_ms)
		cJSON_AddNumberToObject(o, "timeout_ms", r->timeout_ms);
	if (store_runner_is_pool(r)) {
		cJSON_AddStringToObject(o, "github", r->github);
		cJSON_AddNumberToObject(o, "min_online", r->min_online);
		cJSON_AddNumberToObject(o, "pickup_within_s", r->pickup_within_s);
	} else if (store_runner_is_member(r)) {
		cJSON_AddStringToObject(o, "pool", r->pool_name ? r->pool_name : "");
		cJSON_AddNumberToObject(o, "github_id", (double)r->github_id);
		cJSON_AddStringToObject(o, "github_name", r->github_name ? r->github_name : "");
	}
	return o;
}

static void print_json(cJSON *v)
{
	char *s = cJSON_Print(v);
	puts(s ? s : "null");
	free(s);
	cJSON_Delete(v);
}

static int runner_list(struct runner_opts *o)
{
	struct store *st;
	struct store_runner *rs;
	size_t n;
	int rc = cli_open_store(cli_db_path(o->db), false, &st);

	if (rc)
		return rc;
	rc = store_runner_list(st, 0, &rs, &n);
	store_close(st);
	if (rc < 0)
		return cli_error(CLI_FAIL, "reading runners: %s", rw_strerror(rc));
	if (o->json) {
		cJSON *arr = cJSON_CreateArray();
		for (size_t i = 0; i < n; i++)
			cJSON_AddItemToArray(arr, runner_json(&rs[i]));
		print_json(arr);
	} else {
		printf("%-6s %-24s %-16s %-9s %-8s %s\n", "ID", "NAME", "OPERATOR", "STATUS",
		       "STATE", "TARGETS");
		for (size_t i = 0; i < n; i++) {
			printf("%-6" PRId64 " %-24s %-16s %-9s %-8s", rs[i].id, rs[i].name,
			       rs[i].operator_name, store_runner_status_name(rs[i].status),
			       rw_state_name(rs[i].last_state));
			for (size_t j = 0; j < rs[i].n_targets; j++)
				printf("%s%s", j ? "," : " ", rs[i].targets[j]);
			putchar('\n');
		}
	}
	store_runners_free(rs, n);
	return CLI_OK;
}

static int runner_show(struct runner_opts *o, const char *key)
{
	struct store *st;
	struct store_runner r;
	int64_t samples = 0;
	int rc = cli_open_store(cli_db_path(o->db), false, &st);

	if (rc)
		return rc;
	rc = cli_find_runner(st, key, &r);
	if (rc == 0)
		store_sample_count(st, r.id, &samples);
	store_close(st);
	if (rc == RW_ENOENT)
		return cli_error(CLI_USAGE, "runner: \"%s\" does not exist", key);
	if (rc < 0)
		return cli_error(CLI_FAIL, "reading the runner: %s", rw_strerror(rc));
	if (o->json) {
		cJSON *j = runner_json(&r);
		cJSON_AddNumberToObject(j, "samples", (double)samples);
		print_json(j);
	} else {
		printf("id        %" PRId64 "\nname      %s\noperator  %s\nkind      %s\n", r.id,
		       r.name, r.operator_name, r.kind);
		printf("url       %s\nstatus    %s\nstate     %s since ", r.url ? r.url : "-",
		       store_runner_status_name(r.status), rw_state_name(r.last_state));
		cli_print_time(stdout, r.last_state_ms);
		printf("\ntargets  ");
		for (size_t j = 0; j < r.n_targets; j++)
			printf(" %s", r.targets[j]);
		printf("\nlabels   ");
		for (size_t j = 0; j < r.n_labels; j++)
			printf(" %s", r.labels[j]);
		if (store_runner_is_pool(&r)) {
			printf("\ngithub    %s\nminimum   %" PRIu32 " online\npickup    ", r.github,
			       r.min_online);
			if (r.pickup_within_s)
				printf("within %" PRIu32 " s", r.pickup_within_s);
			else
				printf("not checked");
		} else if (store_runner_is_member(&r)) {
			/* GitHub's name is the runner owner's text: escaped. */
			char gname[256];
			xesc(gname, sizeof(gname), r.github_name ? r.github_name : "",
			     r.github_name ? strlen(r.github_name) : 0);
			printf("\npool      %s\ngithub id %" PRId64 "\ngh name   %s",
			       r.pool_name ? r.pool_name : "-", r.github_id, gname);
		}
		printf("\nsamples   %" PRId64 "\n", samples);
	}
	store_runner_deinit(&r);
	return CLI_OK;
}

/* approve and retire. The store checks the change against
 * policy/registration.h in the transaction that writes it; a refusal is a
 * usage error (exit 2) with its reason, one line naming the runner, its
 * status and what it allows. */
static int runner_set_status(struct runner_opts *o, const char *key, int status)
{
	struct store_status_change ch;
	struct store *st;
	struct store_runner r;
	int rc = cli_open_store(cli_db_path(o->db), false, &st);

	if (rc)
		return rc;
	rc = cli_find_runner(st, key, &r);
	if (rc == 0 && status == STORE_RUNNER_RETIRED && store_runner_is_member(&r)) {
		store_close(st);
		rc = cli_error(
		        CLI_USAGE,
		        "runner: %s is a member of GitHub pool %s, which the daemon manages: "
		        "it is retired when it has been gone from GitHub for the policy's "
		        "retention; remove the runner or its labels on GitHub, or retire "
		        "the pool",
		        r.name, r.pool_name ? r.pool_name : "-");
		store_runner_deinit(&r);
		return rc;
	}
	if (rc == 0) {
		rc = status == STORE_RUNNER_APPROVED
		             ? store_runner_approve(st, r.id, clock_wall_ms(), o->no_probation, &ch)
		             : store_runner_set_status(st, r.id, status, clock_wall_ms(), &ch);
		if (rc < 0)
			store_runner_deinit(&r);
	}
	store_close(st);
	if (rc == RW_ENOENT)
		return cli_error(CLI_USAGE, "runner: \"%s\" does not exist", key);
	if (rc == RW_ECONFLICT)
		return cli_error(CLI_USAGE, "%s", ch.why);
	if (rc < 0)
		return cli_error(CLI_FAIL, "updating the runner: %s", rw_strerror(rc));
	if (ch.changed)
		printf("runner %s %s (was %s)\n", r.name, store_runner_status_name(status),
		       store_runner_status_name(ch.from));
	else if (!ch.waived)
		printf("runner %s is already %s; nothing changed\n", r.name,
		       store_runner_status_name(status));
	else
		printf("runner %s is already %s\n", r.name, store_runner_status_name(status));
	if (ch.waived)
		printf("probation waived: runner %s is eligible as soon as it is up\n", r.name);
	else if (o->no_probation)
		printf("(its probation was waived before)\n");
	store_runner_deinit(&r);
	return CLI_OK;
}

int cli_runner(int argc, char **argv)
{
	static const struct option opts[] = {{"operator", required_argument, NULL, 'o'},
	                                     {"name", required_argument, NULL, 'n'},
	                                     {"target", required_argument, NULL, 't'},
	                                     {"url", required_argument, NULL, 'u'},
	                                     {"interval", required_argument, NULL, 'i'},
	                                     {"timeout", required_argument, NULL, 'T'},
	                                     {"push", no_argument, NULL, 'p'},
	                                     {"github", required_argument, NULL, 'g'},
	                                     {"label", required_argument, NULL, 'L'},
	                                     {"min-online", required_argument, NULL, 'm'},
	                                     {"pickup-within", required_argument, NULL, 'P'},
	                                     {"db", required_argument, NULL, 'd'},
	                                     {"allow-cidr", required_argument, NULL, 'a'},
	                                     {"config", required_argument, NULL, 'c'},
	                                     {"no-probation", no_argument, NULL, 'N'},
	                                     {"json", no_argument, NULL, 'j'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	struct runner_opts o;
	const char *sub;
	char *end;
	int c;

	memset(&o, 0, sizeof(o));
	o.min_online = o.pickup_within_s = -1;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': o.operator_name = optarg; break;
		case 'n': o.name = optarg; break;
		case 't':
			if (o.n_targets > RUNNER_SPEC_MAX_TARGETS)
				return cli_error(CLI_USAGE, "target: at most %d targets",
				                 RUNNER_SPEC_MAX_TARGETS);
			o.targets[o.n_targets++] = optarg;
			break;
		case 'u': o.url = optarg; break;
		case 'L':
			if (o.n_labels > RUNNER_SPEC_MAX_TARGETS)
				return cli_error(CLI_USAGE, "label: at most %d labels",
				                 RUNNER_SPEC_MAX_TARGETS);
			o.labels[o.n_labels++] = optarg;
			break;
		case 'i':
			o.interval_s = strtol(optarg, &end, 10);
			if (*end || !*optarg || o.interval_s < 1)
				return cli_error(CLI_USAGE,
				                 "interval: \"%s\" is not a whole number "
				                 "of seconds in [1, 86400]",
				                 optarg);
			break;
		case 'T':
			o.timeout_ms = strtol(optarg, &end, 10);
			if (*end || !*optarg || o.timeout_ms < 1)
				return cli_error(CLI_USAGE,
				                 "timeout: \"%s\" is not a whole number of ms",
				                 optarg);
			break;
		case 'p': o.push = true; break;
		case 'g': o.github = optarg; break;
		case 'm':
			o.min_online = strtol(optarg, &end, 10);
			if (*end || !*optarg || o.min_online < 0 ||
			    o.min_online > RUNNER_SPEC_MIN_ONLINE_MAX)
				return cli_error(
				        CLI_USAGE,
				        "--min-online: \"%s\" is not a whole number in [0, %d] "
				        "(members that must be online)",
				        optarg, RUNNER_SPEC_MIN_ONLINE_MAX);
			break;
		case 'P':
			o.pickup_within_s = strtol(optarg, &end, 10);
			if (*end || !*optarg || o.pickup_within_s < 1 ||
			    o.pickup_within_s > RUNNER_SPEC_PICKUP_MAX)
				return cli_error(CLI_USAGE,
				                 "--pickup-within: \"%s\" is not a whole number of "
				                 "seconds in [1, %d]",
				                 optarg, RUNNER_SPEC_PICKUP_MAX);
			break;
		case 'd': o.db = optarg; break;
		case 'a':
			if (o.n_cidrs == GUARD_MAX_CIDRS)
				return cli_error(CLI_USAGE, "--allow-cidr: at most %d",
				                 GUARD_MAX_CIDRS);
			o.cidrs[o.n_cidrs++] = optarg;
			break;
		case 'c': o.config = optarg; break;
		case 'N': o.no_probation = true; break;
		case 'j': o.json = true; break;
		case 'h': fputs(runner_usage, stdout); return CLI_OK;
		default: fputs(runner_usage, stderr); return CLI_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(runner_usage, stderr);
		return CLI_USAGE;
	}
	sub = argv[optind];
	if ((o.n_cidrs || o.config) && strcmp(sub, "add") != 0 && strcmp(sub, "import") != 0)
		return cli_error(CLI_USAGE,
		                 "%s: only runner add and runner import check URLs; leave it out",
		                 o.n_cidrs ? "--allow-cidr" : "--config");
	if (o.no_probation && strcmp(sub, "approve") != 0)
		return cli_error(CLI_USAGE,
		                 "--no-probation: only runner approve waives a probation (runner "
		                 "approve NAME --no-probation)");
	if (strcmp(sub, "add") == 0 && argc - optind == 1)
		return runner_add(&o);
	if (strcmp(sub, "list") == 0 && argc - optind == 1)
		return runner_list(&o);
	if (argc - optind == 2) {
		const char *arg = argv[optind + 1];
		if (strcmp(sub, "show") == 0)
			return runner_show(&o, arg);
		if (strcmp(sub, "approve") == 0)
			return runner_set_status(&o, arg, STORE_RUNNER_APPROVED);
		if (strcmp(sub, "retire") == 0)
			return runner_set_status(&o, arg, STORE_RUNNER_RETIRED);
		if (strcmp(sub, "import") == 0)
			return runner_import(&o, arg);
	}
	fputs(runner_usage, stderr);
	return CLI_USAGE;
}
