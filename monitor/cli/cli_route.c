/* SPDX-License-Identifier: MIT */
/*
 * cli_route.c — `runwarden route TARGET`: asks a running daemon which
 * runners may take a job for TARGET. The answer comes from the daemon's
 * memory (GET /v1/route), so it is what CI scheduling sees.
 * Exit 0 when at least one runner is eligible, 3 when none, 1 when the
 * daemon cannot be asked. An https:// server is verified against the
 * system's CA bundle, or the --cacert file of a private CA.
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/cli/cli.h"
#include "monitor/core/config.h"
#include "policy/base/strbuf.h"
#include "policy/target.h"

static const char route_usage[] =
        "usage: runwarden route TARGET [--json] [--server URL] [--cacert FILE]\n"
        "\n"
        "Prints the runners eligible for TARGET, best first, and the excluded ones\n"
        "with their reason. Exit status: 0 when a runner is eligible, 3 when none\n"
        "is, 1 when the daemon cannot be reached.\n"
        "\n"
        "  --json           print the daemon's JSON answer as it is\n"
        "  --server URL     the daemon (else $RUNWARDEN_SERVER, else\n"
        "                   http://" RW_DEFAULT_LISTEN "); https:// for one serving TLS\n"
        "  --cacert FILE    with https://, trust the CA certificates in FILE (PEM)\n"
        "                   instead of the system's, for a private CA (else\n"
        "                   $RUNWARDEN_CACERT)\n";

static size_t collect(char *data, size_t size, size_t nmemb, void *userp)
{
	struct strbuf *b = userp;
	if (b->len + size * nmemb > (8u << 20))
		return 0; /* a route answer is never this large */
	strbuf_append(b, data, size * nmemb);
	return strbuf_failed(b) ? 0 : size * nmemb;
}

static void print_table(const cJSON *doc)
{
	const cJSON *e, *list = cJSON_GetObjectItemCaseSensitive(doc, "eligible");
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(doc, "excluded");

	printf("%-9s %-6s %-24s %-16s %-10s %s\n", "ELIGIBLE", "ID", "NAME", "OPERATOR", "UPTIME",
	       "SINCE");
	cJSON_ArrayForEach(e, list)
	{
		const cJSON *up = cJSON_GetObjectItemCaseSensitive(e, "uptime");
		char upt[16] = "-";
		if (cJSON_IsNumber(up))
			snprintf(upt, sizeof(upt), "%.4f", up->valuedouble);
		printf("%-9s %-6.0f %-24s %-16s %-10s %s\n", "yes",
		       cJSON_GetObjectItemCaseSensitive(e, "id")->valuedouble,
		       cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "name")),
		       cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "operator")), upt,
		       cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "since")));
	}
	cJSON_ArrayForEach(e, ex)
	{
		/* The daemon's detail after the time: until when a probation
		 * lasts, the floor a flagged runner is under, the last probe. */
		const char *detail =
		        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "detail"));
		printf("%-9s %-6.0f %-24s %-16s %-10s %s%s%s\n",
		       cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "reason")),
		       cJSON_GetObjectItemCaseSensitive(e, "id")->valuedouble,
		       cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "name")),
		       cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "operator")), "-",
		       cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "since")),
		       detail ? "  " : "", detail ? detail : "");
	}
}

int cli_route(int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
	                                     {"server", required_argument, NULL, 's'},
	                                     {"cacert", required_argument, NULL, 'c'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	const char *server = getenv("RUNWARDEN_SERVER"), *target;
	const char *cacert = getenv("RUNWARDEN_CACERT");
	char cerr[CURL_ERROR_SIZE] = "";
	bool json = false;
	struct strbuf url, body;
	CURL *h;
	CURLcode cc;
	long code = 0;
	cJSON *doc, *elig;
	char *esc;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 's': server = optarg; break;
		case 'c': cacert = optarg; break;
		case 'h': fputs(route_usage, stdout); return CLI_OK;
		default: fputs(route_usage, stderr); return CLI_USAGE;
		}
	}
	if (argc - optind != 1) {
		fputs(route_usage, stderr);
		return CLI_USAGE;
	}
	target = argv[optind];
	if (!target_is_valid(target))
		return cli_error(
		        CLI_USAGE,
		        "target: \"%s\" is not a target triple (e.g. riscv64gc-unknown-linux-gnu)",
		        target);
	if (!server || !*server)
		server = "http://" RW_DEFAULT_LISTEN;
	if (cacert && *cacert) {
		FILE *fp = fopen(cacert, "rb");
		if (!fp)
			return cli_error(CLI_USAGE, "--cacert: %s: cannot read: %s", cacert,
			                 strerror(errno));
		fclose(fp);
	}
	h = curl_easy_init();
	if (!h)
		return cli_error(CLI_FAIL, "out of memory");
	esc = curl_easy_escape(h, target, 0);
	strbuf_init(&url);
	strbuf_init(&body);
	/* A trailing slash on --server is fine: drop it, the path has its own. */
	strbuf_append(&url, server, strlen(server) - (server[strlen(server) - 1] == '/'));
	strbuf_printf(&url, "/v1/route?target=%s", esc ? esc : "");
	curl_free(esc);
	curl_easy_setopt(h, CURLOPT_URL, url.data);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
	/* A private CA replaces the system's bundle, as curl --cacert does. */
	if (cacert && *cacert)
		curl_easy_setopt(h, CURLOPT_CAINFO, cacert);
	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(h);
	if (cc == CURLE_PEER_FAILED_VERIFICATION) {
		rc = cli_error(CLI_FAIL,
		               "cannot ask %s: its TLS certificate is not trusted: %s (a private "
		               "CA? --cacert FILE)",
		               url.data, cerr[0] ? cerr : curl_easy_strerror(cc));
		goto out;
	}
	if (cc != CURLE_OK) {
		rc = cli_error(CLI_FAIL,
		               "cannot ask %s: %s (is `runwarden serve` running? see --server)",
		               url.data, cerr[0] ? cerr : curl_easy_strerror(cc));
		goto out;
	}
	doc = cJSON_ParseWithLength(body.data ? body.data : "", body.len);
	elig = cJSON_GetObjectItemCaseSensitive(doc, "eligible");
	if (code != 200 || !cJSON_IsArray(elig)) {
		cJSON_Delete(doc);
		rc = cli_error(CLI_FAIL, "%s answered HTTP %ld: %.300s", url.data, code,
		               body.data ? body.data : "");
		goto out;
	}
	if (json)
		fwrite(body.data, 1, body.len, stdout);
	else if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(doc, "served")))
		printf("no runner serves %s (registered targets: runwarden runner list)\n", target);
	else
		print_table(doc);
	rc = cJSON_GetArraySize(elig) > 0 ? CLI_OK : CLI_NONE_ELIGIBLE;
	cJSON_Delete(doc);
out:
	strbuf_deinit(&url);
	strbuf_deinit(&body);
	return rc;
}
