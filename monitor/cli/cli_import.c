/* SPDX-License-Identifier: MIT */
/*
 * cli_import.c — `runwarden runner import FILE`: many runners from one JSON
 * array, each entry what `runner add` takes: http runners ({"operator",
 * "name", "targets", "url"}), push runners ({..., "push": true}) and GitHub
 * pools ({..., "github", "labels"}), optionally "labels", "interval_s" and
 * "timeout_ms" (not for pools), "min_online" and "pickup_within_s" (pools).
 * A key that is none of these is refused (a typo must not be dropped).
 * Entries are numbered from 1, as people count them.
 *
 * Invariant: every entry is checked, by the rules `runner add` applies
 * (cli_check_runner(), runner_spec.h), before any is written; then all are
 * written in one transaction, or none. A push runner's heartbeat token is
 * printed once, after the commit, as `runner add --push` prints it.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/cli/cli.h"
#include "monitor/core/clock.h"
#include "monitor/intake/auth.h"
#include "monitor/intake/runner_spec.h"
#include "policy/base/rw_error.h"

static char *read_text(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 8192);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* One entry of an import file; its strings point into the parsed file. */
struct import_entry {
	const char *targets[RUNNER_SPEC_MAX_TARGETS + 1];
	size_t n_targets;
	const char *labels[RUNNER_SPEC_MAX_TARGETS + 1];
	size_t n_labels;
	struct spec_github gh;
	bool push;
	char token[AUTH_TOKEN_MAX]; /* a push runner's heartbeat token */
	uint8_t hash[32];
};

static const char *const entry_keys[] = {"operator",   "name",       "targets",        "url",
                                         "push",       "github",     "labels",         "interval_s",
                                         "timeout_ms", "min_online", "pickup_within_s"};

/* Reads the strings of array @p a into @p v (at most one more than allowed,
 * so that the rule can say how many is too many). @return false when one is
 * not a string. */
static bool import_strings(const cJSON *a, const char **v, size_t *n)
{
	const cJSON *t;

	*n = 0;
	cJSON_ArrayForEach(t, a)
	{
		if (!cJSON_IsString(t))
			return false;
		if (*n <= RUNNER_SPEC_MAX_TARGETS)
			v[(*n)++] = t->valuestring;
	}
	return true;
}

/* An optional whole number member; *has says whether it is there. @return
 * false when it is there and not a whole number. */
static bool import_long(const cJSON *e, const char *name, bool *has, long *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, name);

	*has = v != NULL;
	if (!v)
		return true;
	if (!cJSON_IsNumber(v) || v->valuedouble < -1e9 || v->valuedouble > 1e9 ||
	    v->valuedouble != (double)(long)v->valuedouble)
		return false;
	*out = (long)v->valuedouble;
	return true;
}

/* Checks entry @p i of the file; on success fills @p sr (borrowing from the
 * file and from @p ie). @return false after one line on stderr. */
static bool import_entry(struct store *st, const struct guard *g, const char *file, int i,
                         const cJSON *e, struct import_entry *ie, struct store_runner *sr)
{
	const cJSON *op = cJSON_GetObjectItemCaseSensitive(e, "operator");
	const cJSON *nm = cJSON_GetObjectItemCaseSensitive(e, "name");
	const cJSON *url = cJSON_GetObjectItemCaseSensitive(e, "url");
	const cJSON *gh = cJSON_GetObjectItemCaseSensitive(e, "github");
	const cJSON *ls = cJSON_GetObjectItemCaseSensitive(e, "labels");
	const cJSON *ts = cJSON_GetObjectItemCaseSensitive(e, "targets");
	const cJSON *push = cJSON_GetObjectItemCaseSensitive(e, "push"), *k;
	const char *field = NULL;
	long interval_s = 0, timeout_ms = 0;
	bool has_interval = false, has_timeout = false;
	char err[512];

	memset(&ie->gh, 0, sizeof(ie->gh));
	ie->gh.labels = ie->labels;
	if (cJSON_IsObject(e))
		cJSON_ArrayForEach(k, e)
		{
			size_t j = 0;
			while (j < sizeof(entry_keys) / sizeof(entry_keys[0]) &&
			       strcmp(k->string, entry_keys[j]) != 0)
				j++;
			if (j == sizeof(entry_keys) / sizeof(entry_keys[0])) {
				fprintf(stderr,
				        "runwarden: %s: entry %d: %s: unknown key (allowed: "
				        "operator, "
				        "name, targets, url, push, github, labels, interval_s, "
				        "timeout_ms, min_online, pickup_within_s)\n",
				        file, i, k->string);
				return false;
			}
		}
	ie->push = cJSON_IsTrue(push);
	if (!cJSON_IsObject(e))
		field = "(entry)";
	else if (push && !cJSON_IsBool(push))
		field = "push";
	else if (!import_long(e, "interval_s", &has_interval, &interval_s))
		field = "interval_s";
	else if (!import_long(e, "timeout_ms", &has_timeout, &timeout_ms))
		field = "timeout_ms";
	else if (!cJSON_IsString(op))
		field = "operator";
	else if (!cJSON_IsString(nm))
		field = "name";
	else if (!cJSON_IsArray(ts) || !import_strings(ts, ie->targets, &ie->n_targets))
		field = "targets";
	else if (gh && !cJSON_IsString(gh))
		field = "github";
	else if (!gh && !ie->push && !cJSON_IsString(url))
		field = "url";
	else if (ls && (!cJSON_IsArray(ls) || !import_strings(ls, ie->labels, &ie->n_labels)))
		field = "labels";
	else if (!import_long(e, "min_online", &ie->gh.has_min_online, &ie->gh.min_online))
		field = "min_online";
	else if (!import_long(e, "pickup_within_s", &ie->gh.has_pickup, &ie->gh.pickup_within_s))
		field = "pickup_within_s";
	if (field) {
		fprintf(stderr, "runwarden: %s: entry %d: %s: missing or of the wrong type\n", file,
		        i, field);
		return false;
	}
	if ((gh || ie->push) && url) {
		fprintf(stderr,
		        "runwarden: %s: entry %d: url: a %s has no URL; give \"url\" or \"%s\"\n",
		        file, i, gh ? "GitHub pool" : "push runner", gh ? "github" : "push");
		return false;
	}
	if (gh && ie->push) {
		fprintf(stderr, "runwarden: %s: entry %d: push: a GitHub pool is not pushed to\n",
		        file, i);
		return false;
	}
	if (gh && (has_interval || has_timeout)) {
		fprintf(stderr,
		        "runwarden: %s: entry %d: %s: a GitHub pool has the poll interval of the "
		        "\"github\" config\n",
		        file, i, has_interval ? "interval_s" : "timeout_ms");
		return false;
	}
	if (spec_check_interval(interval_s, err, sizeof(err)) < 0 ||
	    spec_check_timeout(timeout_ms, err, sizeof(err)) < 0)
		goto bad;
	if (gh) {
		ie->gh.source = gh->valuestring;
		ie->gh.n_labels = ie->n_labels;
		if (spec_check_github_pool(&ie->gh, &spec_github_members, NULL, err, sizeof(err)) <
		    0)
			goto bad;
	} else if (ie->gh.has_min_online || ie->gh.has_pickup) {
		fprintf(stderr,
		        "runwarden: %s: entry %d: %s: only a GitHub pool (\"github\") has it\n",
		        file, i, ie->gh.has_min_online ? "min_online" : "pickup_within_s");
		return false;
	} else if (spec_check_labels(ie->labels, ie->n_labels, err, sizeof(err)) < 0) {
		goto bad;
	}
	if (cli_check_runner(st, g, op->valuestring, nm->valuestring, ie->targets, ie->n_targets,
	                     gh || ie->push ? NULL : url->valuestring, gh ? &ie->gh : NULL, sr, err,
	                     sizeof(err)) < 0)
		goto bad;
	sr->labels = (char **)ie->labels;
	sr->n_labels = ie->n_labels;
	sr->interval_s = (uint32_t)interval_s;
	sr->timeout_ms = (uint32_t)timeout_ms;
	if (ie->push && auth_new_token("rwh_", ie->token, ie->hash) < 0) {
		snprintf(err, sizeof(err), "no random bytes for the heartbeat token");
		goto bad;
	}
	return true;
bad:
	fprintf(stderr, "runwarden: %s: entry %d: %s\n", file, i, err);
	return false;
}

int cli_runner_import(const char *db, const struct guard *g, const char *file)
{
	struct store *st;
	struct store_runner *srs = NULL;
	struct import_entry *ies = NULL;
	size_t len = 0, n;
	char *text = read_text(file, &len);
	cJSON *doc, *e;
	int rc, i = 0, bad = 0;

	if (!text)
		return cli_error(CLI_USAGE, "%s: cannot read the file", file);
	doc = cJSON_ParseWithLength(text, len);
	free(text);
	if (!cJSON_IsArray(doc)) {
		cJSON_Delete(doc);
		return cli_error(CLI_USAGE, "%s: not a JSON array of runners", file);
	}
	n = (size_t)cJSON_GetArraySize(doc);
	rc = cli_open_store(db, false, &st);
	if (rc) {
		cJSON_Delete(doc);
		return rc;
	}
	srs = calloc(n ? n : 1, sizeof(*srs));
	ies = calloc(n ? n : 1, sizeof(*ies));
	if (!srs || !ies) {
		rc = cli_error(CLI_FAIL, "out of memory");
		goto out;
	}
	cJSON_ArrayForEach(e, doc)
	{
		if (!import_entry(st, g, file, i + 1, e, &ies[i], &srs[i])) {
			srs[i].name = NULL;
			bad++;
		} else {
			for (int j = 0; j < i; j++) {
				if (srs[j].name && strcmp(srs[j].name, srs[i].name) == 0) {
					fprintf(stderr,
					        "runwarden: %s: entry %d: name: \"%s\" is also "
					        "entry %d\n",
					        file, i + 1, srs[i].name, j + 1);
					bad++;
					break;
				}
			}
		}
		i++;
	}
	if (bad) {
		rc = cli_error(CLI_USAGE, "%s: %d bad entr%s; nothing was imported", file, bad,
		               bad == 1 ? "y" : "ies");
		goto out;
	}
	rc = store_begin(st);
	for (size_t k = 0; rc == 0 && k < n; k++) {
		rc = store_runner_insert(st, &srs[k], clock_wall_ms());
		if (rc == 0 && ies[k].push)
			rc = store_token_add(st, srs[k].operator_id, srs[k].id, ies[k].hash,
			                     clock_wall_ms(), 0, NULL);
	}
	if (rc == 0)
		rc = store_commit(st);
	if (rc < 0) {
		store_rollback(st);
		rc = cli_error(CLI_FAIL, "import failed, nothing was imported: %s",
		               rw_strerror(rc));
		goto out;
	}
	printf("imported %zu runner%s\n", n, n == 1 ? "" : "s");
	for (size_t k = 0; k < n; k++)
		if (ies[k].push)
			printf("runner %s heartbeat token %s (shown once)\n", srs[k].name,
			       ies[k].token);
	rc = CLI_OK;
out:
	free(srs); /* borrowed strings: owned by doc and ies */
	free(ies);
	cJSON_Delete(doc);
	store_close(st);
	return rc;
}
