/* SPDX-License-Identifier: MIT */
/* fakegh.c — the fake GitHub from C tests; see fakegh.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fakegh.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rwtest.h"

void rwt_fakegh_start(struct rwt_fakegh *g, const char *dir, const char *config_json)
{
	static const char *const names[] = {"python3", NULL};
	char py[512], cfg[320], line[256];
	const char *argv[6];
	size_t n = 0;
	int64_t deadline = rwt_mono_ms() + 30000;

	rwt_require_program(py, sizeof(py), "RW_PYTHON3", names, "python3", "the fake GitHub");
	snprintf(g->log, sizeof(g->log), "%s/fake_github.log", dir);
	argv[n++] = py;
	argv[n++] = RW_SOURCE_DIR "/tests/lib/fake_github.py";
	if (config_json) {
		snprintf(cfg, sizeof(cfg), "%s/fake_github.json", dir);
		rwt_write_file(cfg, config_json);
		argv[n++] = "--config";
		argv[n++] = cfg;
	}
	argv[n] = NULL;
	g->pid = rwt_spawn(argv, g->log, &g->out);
	if (rwt_read_line(g->out, line, sizeof(line), deadline) < 0 ||
	    strncmp(line, "listening on http://", 20) != 0) {
		rwt_stop_proc(&g->pid, SIGKILL, 1000);
		rwt_dump_file("fake_github.py stderr", g->log);
		fail_msg("fake_github.py did not say where it listens (its stderr is above)");
	}
	snprintf(g->url, sizeof(g->url), "%s", line + 13);
}

cJSON *rwt_fakegh_call(const struct rwt_fakegh *g, const char *method, const char *path,
                       const char *json)
{
	struct rwt_resp r;
	char url[512];
	cJSON *doc;

	snprintf(url, sizeof(url), "%s/_control/%s", g->url, path);
	rwt_http(method, url, NULL, json, json ? (size_t)-1 : 0, &r);
	if (r.status != 200) {
		rwt_dump_file("fake_github.py stderr", g->log);
		fail_msg("fake_github %s /_control/%s %s: HTTP %ld %s%s", method, path,
		         json ? json : "", r.status, r.body, r.error);
	}
	doc = cJSON_Parse(r.body);
	rwt_resp_free(&r);
	if (!doc)
		fail_msg("fake_github %s /_control/%s: the answer is not JSON", method, path);
	return doc;
}

void rwt_fakegh_post(const struct rwt_fakegh *g, const char *path, const char *json)
{
	cJSON_Delete(rwt_fakegh_call(g, "POST", path, json));
}

double rwt_fakegh_stat(const struct rwt_fakegh *g, const char *path_key, const char *field)
{
	cJSON *doc = rwt_fakegh_call(g, "GET", "stats", NULL);
	const cJSON *o = doc, *v;
	double out = 0;

	if (path_key)
		o = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "paths"),
		                                     path_key);
	v = cJSON_GetObjectItemCaseSensitive(o, field);
	if (cJSON_IsNumber(v))
		out = v->valuedouble;
	cJSON_Delete(doc);
	return out;
}

void rwt_fakegh_stop(struct rwt_fakegh *g)
{
	int status;

	if (g->pid <= 0)
		return;
	status = rwt_stop_proc(&g->pid, SIGTERM, 5000);
	if (g->out > 0)
		close(g->out);
	g->out = -1;
	if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		rwt_dump_file("fake_github.py stderr", g->log);
		fail_msg("fake_github.py did not exit 0 on SIGTERM (wait status %d)", status);
	}
}
