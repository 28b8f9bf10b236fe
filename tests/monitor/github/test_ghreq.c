/* SPDX-License-Identifier: MIT */
/*
 * test_ghreq.c — ghreq.c's reading of the Link header (RFC 8288, as GitHub
 * writes it for pagination): the target of rel="next" among several links,
 * in either quoting, among other relation types and parameters (commas
 * inside quotes included), case-insensitively; none when there is no next;
 * and an error for every malformed value rather than a guess. Also the
 * request set-up on a real easy handle (no transfer).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "monitor/github/ghreq.h"
#include "policy/base/rw_error.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct link_row {
	const char *value;
	int rc;
	const char *next;
};

static void test_link(void **state)
{
	static const struct link_row rows[] = {
	        /* GitHub's own form */
	        {"<https://api.github.com/organizations/9/actions/runners?per_page=100&page=2>; "
	         "rel=\"next\", <https://api.github.com/organizations/9/actions/"
	         "runners?per_page=100&page=3>; rel=\"last\"",
	         1, "https://api.github.com/organizations/9/actions/runners?per_page=100&page=2"},
	        {"<http://h/a?page=1>; rel=\"prev\", <http://h/a?page=3>; rel=\"next\", "
	         "<http://h/a?page=5>; rel=\"last\", <http://h/a?page=1>; rel=\"first\"",
	         1, "http://h/a?page=3"},
	        {"<http://h/a?page=4>; rel=\"prev\", <http://h/a?page=1>; rel=\"first\"", 0, NULL},
	        {"<u1>;rel=next", 1, "u1"},
	        {"<u1> ; rel = \"next\"", 1, "u1"},
	        {"<u1>; REL=\"NEXT\"", 1, "u1"},
	        {"<u1>; rel=\"last next\"", 1, "u1"},
	        {"<u1>; rel=\"nextpage\"", 0, NULL},
	        {"<u1>; title=\"a, b; rel=next\"; rel=\"prev\", <u2>; rel=\"next\"", 1, "u2"},
	        {"<u,1>; rel=\"next\"", 1, "u,1"},
	        {"<u1>; anchor; rel=\"next\"", 1, "u1"},
	        {"", 0, NULL},
	        {"   ", 0, NULL},
	        {"u1; rel=\"next\"", RW_EINVAL, NULL},
	        {"<u1; rel=\"next\"", RW_EINVAL, NULL},
	        {"<u1>; rel=\"next", RW_EINVAL, NULL},
	        {"<u1>; rel=\"next\"x", RW_EINVAL, NULL},
	        {"<u1> x; rel=\"next\"", RW_EINVAL, NULL},
	        {"<>; rel=\"next\"", RW_EINVAL, NULL},
	        {"<u1>; rel=\"prev\", junk", RW_EINVAL, NULL},
	};
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		char out[256] = "untouched";
		int rc = ghreq_parse_link(rows[i].value, out, sizeof(out));

		if (rc != rows[i].rc || (rc == 1 && strcmp(out, rows[i].next) != 0)) {
			print_error("row %zu: \"%s\": rc %d (want %d), next \"%s\"\n", i,
			            rows[i].value, rc, rows[i].rc, out);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* A URL that does not fit the caller's buffer is an error, not a cut. */
static void test_link_too_long(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(ghreq_parse_link("<12345678>; rel=\"next\"", out, sizeof(out)), RW_EINVAL);
	assert_int_equal(ghreq_parse_link("<1234567>; rel=\"next\"", out, sizeof(out)), 1);
	assert_string_equal(out, "1234567");
}

/* Preparing twice reuses the handle and replaces the header list; an
 * unanswered request has status 0 and no headers. */
static void test_prepare(void **state)
{
	struct ghreq r;

	(void)state;
	assert_int_equal(ghreq_init(&r), 0);
	assert_int_equal(ghreq_prepare(&r, "http://127.0.0.1:9/x", false, "Bearer", "tok", "\"e1\"",
	                               1000, 1024, &r),
	                 0);
	assert_non_null(r.hdrs);
	assert_int_equal(ghreq_prepare(&r, "http://127.0.0.1:9/y", true, "Bearer", NULL, NULL, 1000,
	                               1024, &r),
	                 0);
	for (struct curl_slist *l = r.hdrs; l; l = l->next) {
		assert_null(strstr(l->data, "Authorization"));
		assert_null(strstr(l->data, "If-None-Match"));
	}
	assert_int_equal(ghreq_status(&r), 0);
	assert_null(ghreq_header(&r, "ETag", 0));
	ghreq_deinit(&r);
	ghreq_deinit(&r); /* twice: a zeroed request */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_link),
	        cmocka_unit_test(test_link_too_long),
	        cmocka_unit_test(test_prepare),
	};

	if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
