/* SPDX-License-Identifier: MIT */
/* answer.c — the API's answers and problems; see answer.h. */
#include "monitor/api/answer.h"

#include <curl/curl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/api/api_impl.h"
#include "monitor/core/clock.h"
#include "monitor/core/metrics.h"
#include "policy/base/strbuf.h"
#include "policy/base/rfc3339.h"

void answer_body(h2o_req_t *req, int status, const char *reason, const char *ctype,
                 const char *body, size_t len)
{
	req->res.status = status;
	req->res.reason = reason;
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, ctype,
	               strlen(ctype));
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
	               H2O_STRLIT("no-store"));
	h2o_send_inline(req, body, len);
}

int answer_no_content(h2o_req_t *req)
{
	req->res.status = 204;
	req->res.reason = "No Content";
	h2o_send_inline(req, NULL, 0);
	return 0;
}

int answer_json(struct api *api, h2o_req_t *req, int status, struct strbuf *b)
{
	if (strbuf_failed(b)) {
		static const char oom[] = "{\"type\":\"about:blank\",\"title\":\"out of memory\","
		                          "\"status\":503}\n";
		api->x.m->http_errors++;
		api->x.m->http_server_errors++;
		answer_body(req, 503, "Service Unavailable", "application/problem+json", oom,
		            sizeof(oom) - 1);
	} else {
		answer_body(req, status, status == 201 ? "Created" : "OK", "application/json",
		            b->data ? b->data : "", b->len);
	}
	strbuf_deinit(b);
	return 0;
}

int answer_strbuf(struct api *api, h2o_req_t *req, struct strbuf *b, const char *ctype)
{
	if (strbuf_failed(b) || strcmp(ctype, "application/json") == 0)
		return answer_json(api, req, 200, b);
	answer_body(req, 200, "OK", ctype, b->data ? b->data : "", b->len);
	strbuf_deinit(b);
	return 0;
}

int answer_problem(struct api *api, h2o_req_t *req, int status, const char *reason,
                   const char *field, const char *detail)
{
	struct strbuf b;

	strbuf_init(&b);
	strbuf_printf(&b, "{\"type\":\"about:blank\",\"title\":\"%s\",\"status\":%d,\"detail\":",
	              reason, status);
	strbuf_json_str(&b, detail);
	if (field && *field) {
		strbuf_puts(&b, ",\"field\":");
		strbuf_json_str(&b, field);
	}
	strbuf_puts(&b, "}\n");
	api->x.m->http_errors++;
	api->x.m->http_server_errors += status >= 500;
	answer_body(req, status, reason, "application/problem+json", b.data ? b.data : "{}\n",
	            b.data ? b.len : 3);
	strbuf_deinit(&b);
	return 0;
}

bool answer_query(h2o_req_t *req, const char *name, char *out, size_t outlen)
{
	const char *q, *end;
	size_t nl = strlen(name);

	if (req->query_at == SIZE_MAX)
		return false;
	q = req->path.base + req->query_at + 1;
	end = req->path.base + req->path.len;
	while (q < end) {
		const char *amp = memchr(q, '&', (size_t)(end - q));
		const char *pe = amp ? amp : end;
		if ((size_t)(pe - q) > nl && memcmp(q, name, nl) == 0 && q[nl] == '=') {
			int olen = 0;
			char *dec;
			/* curl_easy_unescape() takes a length of 0 to mean strlen():
			 * it would read past the query. An empty value is "". */
			if (pe - q - (ptrdiff_t)nl - 1 == 0) {
				if (outlen == 0)
					return false;
				out[0] = '\0';
				return true;
			}
			dec = curl_easy_unescape(NULL, q + nl + 1, (int)(pe - q - nl - 1), &olen);
			bool ok = dec && (size_t)olen < outlen &&
			          memchr(dec, '\0', (size_t)olen) == NULL;
			if (ok)
				memcpy(out, dec, (size_t)olen + 1);
			curl_free(dec);
			return ok;
		}
		q = pe + 1;
	}
	return false;
}

void answer_json_time(struct strbuf *b, int64_t ms)
{
	char t[40];
	rfc3339_format(ms, t, sizeof(t));
	strbuf_json_str(b, t);
}

void answer_json_ratio(struct strbuf *b, bool has, double v)
{
	if (has)
		strbuf_printf(b, "%.6f", v);
	else
		strbuf_puts(b, "null");
}
