/* SPDX-License-Identifier: MIT */
/*
 * test_ghlist.c — ghlist.c in-process: a page of GitHub's runner list read
 * into runners (online, busy, labels lower-cased), each malformed body
 * refused with a reason, the list of several pages sorted by id with one
 * entry per id, a read whose every page is a 304 handing out the same
 * array, a changed page rebuilding it while the other pages stay the
 * cache's own, and an abandoned read leaving the cache and the list as they
 * were. Runs under the sanitizers with the unit tests (no leak).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "monitor/github/ghlist.h"
#include "policy/base/rw_error.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int add(struct ghlist *l, const char *url, const char *etag, const char *body)
{
	struct ghpage *pg = NULL;
	char why[256] = "";
	int rc = ghlist_add_page(l, url, etag, body, strlen(body), &pg, why, sizeof(why));

	if (rc == 0)
		assert_ptr_equal(pg, &l->pages[l->n_pages - 1]);
	return rc;
}

static void test_page(void **state)
{
	struct ghlist l = {0};
	const struct gh_runner *r;

	(void)state;
	assert_int_equal(add(&l, "u1", "\"e1\"",
	                     "{\"total_count\": 2, \"runners\": ["
	                     "{\"id\": 7, \"name\": \"rv 1\", \"os\": \"linux\", \"status\": "
	                     "\"online\", \"busy\": true, \"labels\": [{\"id\": 1, \"name\": "
	                     "\"Self-Hosted\", \"type\": \"read-only\"}, {\"name\": \"RISCV64\"}]},"
	                     "{\"id\": 3, \"name\": \"rv-2\", \"status\": \"offline\"}]}"),
	                 0);
	l.pages[0].next = NULL;
	assert_int_equal(ghlist_commit(&l), 0);
	assert_int_equal(l.n_list, 2);
	r = &l.list[0]; /* sorted by id */
	assert_int_equal(r->id, 3);
	assert_string_equal(r->name, "rv-2");
	assert_false(r->online);
	assert_false(r->busy);
	assert_int_equal(r->n_labels, 0);
	r = &l.list[1];
	assert_int_equal(r->id, 7);
	assert_string_equal(r->name, "rv 1");
	assert_true(r->online);
	assert_true(r->busy);
	assert_int_equal(r->n_labels, 2);
	assert_string_equal(r->labels[0], "self-hosted");
	assert_string_equal(r->labels[1], "riscv64");
	assert_string_equal(l.cache[0].etag, "\"e1\"");
	/* The next read of u1 sends its ETag; of another URL, none. */
	assert_string_equal(ghlist_etag_for(&l, "u1"), "\"e1\"");
	assert_null(ghlist_etag_for(&l, "u2"));
	ghlist_deinit(&l);
}

static void test_refused(void **state)
{
	static const struct {
		const char *body;
		const char *why_has;
	} rows[] = {
	        {"", "not JSON"},
	        {"{\"runners\": [{\"id\": 1, \"na", "not JSON"},
	        {"[]", "no \"runners\" array"},
	        {"{\"total_count\": 0}", "no \"runners\" array"},
	        {"{\"runners\": {}}", "no \"runners\" array"},
	        {"{\"runners\": [{\"name\": \"a\", \"status\": \"online\"}]}", "whole \"id\""},
	        {"{\"runners\": [{\"id\": 1.5, \"name\": \"a\", \"status\": \"online\"}]}",
	         "whole \"id\""},
	        {"{\"runners\": [{\"id\": -1, \"name\": \"a\", \"status\": \"online\"}]}",
	         "whole \"id\""},
	        {"{\"runners\": [{\"id\": 1, \"status\": \"online\"}]}", "\"name\""},
	        {"{\"runners\": [{\"id\": 1, \"name\": \"a\"}]}", "\"status\""},
	        {"{\"runners\": [{\"id\": 1, \"name\": \"a\", \"status\": \"online\", \"busy\": "
	         "\"no\"}]}",
	         "\"busy\""},
	        {"{\"runners\": [{\"id\": 1, \"name\": \"a\", \"status\": \"online\", \"labels\": "
	         "\"x\"}]}",
	         "\"labels\""},
	        {"{\"runners\": [{\"id\": 1, \"name\": \"a\", \"status\": \"online\", \"labels\": "
	         "[{\"id\": 2}]}]}",
	         "runner 1: a label without a \"name\""},
	};
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		struct ghlist l = {0};
		struct ghpage *pg;
		char why[256] = "";
		int rc = ghlist_add_page(&l, "u", NULL, rows[i].body, strlen(rows[i].body), &pg,
		                         why, sizeof(why));

		if (rc != RW_EINVAL || !strstr(why, rows[i].why_has)) {
			print_error("row %zu: %s: rc %d why \"%s\"\n", i, rows[i].body, rc, why);
			bad++;
		}
		ghlist_drop(&l); /* the half-read page is freed */
		ghlist_deinit(&l);
	}
	assert_int_equal(bad, 0);
}

/* Three pages; a runner listed on two of them (it moved while they were
 * read) appears once. */
static void read_three(struct ghlist *l, const char *p2)
{
	assert_int_equal(add(l, "u1", "\"a\"",
	                     "{\"runners\": [{\"id\": 5, \"name\": \"e\", \"status\": \"online\"},"
	                     "{\"id\": 1, \"name\": \"a\", \"status\": \"online\"}]}"),
	                 0);
	assert_int_equal(add(l, "u2", "\"b\"", p2), 0);
	assert_int_equal(
	        add(l, "u3", "\"c\"",
	            "{\"runners\": [{\"id\": 9, \"name\": \"i\", \"status\": \"online\"}]}"),
	        0);
}

static void test_pages(void **state)
{
	static const char p2[] =
	        "{\"runners\": [{\"id\": 5, \"name\": \"e\", \"status\": "
	        "\"online\"}, {\"id\": 2, \"name\": \"b\", \"status\": \"online\"}]}";
	static const char p2b[] = "{\"runners\": [{\"id\": 2, \"name\": \"b\", \"status\": "
	                          "\"offline\"}]}";
	struct ghlist l = {0};
	const struct gh_runner *first;
	const struct ghpage *c1, *c3;

	(void)state;
	read_three(&l, p2);
	assert_int_equal(ghlist_commit(&l), 0);
	assert_int_equal(l.n_list, 4);
	assert_int_equal(l.list[0].id, 1);
	assert_int_equal(l.list[1].id, 2);
	assert_int_equal(l.list[2].id, 5);
	assert_int_equal(l.list[3].id, 9);
	assert_int_equal(l.n_cache, 3);
	first = l.list;

	/* Every page a 304: the same array, the same pages. */
	for (int i = 0; i < 3; i++) {
		assert_non_null(ghlist_etag_for(&l, l.cache[i].url));
		assert_int_equal(ghlist_add_cached(&l), 0);
	}
	assert_int_equal(ghlist_add_cached(&l), RW_EINVAL); /* no fourth page cached */
	assert_int_equal(ghlist_commit(&l), 0);
	assert_ptr_equal(l.list, first);
	assert_int_equal(l.n_list, 4);
	assert_string_equal(l.cache[0].url, "u1");

	/* Page 2 changed: a new list; pages 1 and 3 handed over as they were. */
	c1 = &l.cache[0];
	c3 = &l.cache[2];
	{
		const char *n1 = c1->runners[0].name, *n3 = c3->runners[0].name;
		assert_int_equal(ghlist_add_cached(&l), 0);
		assert_int_equal(add(&l, "u2", "\"b2\"", p2b), 0);
		assert_int_equal(ghlist_add_cached(&l), 0);
		assert_int_equal(ghlist_commit(&l), 0);
		assert_ptr_equal(l.cache[0].runners[0].name, n1);
		assert_ptr_equal(l.cache[2].runners[0].name, n3);
	}
	assert_int_equal(l.n_list, 4); /* 1, 2, 5, 9: 5 now only on page 1 */
	assert_false(l.list[1].online);
	assert_string_equal(l.cache[1].etag, "\"b2\"");

	/* An abandoned read: the cache and the list stay. */
	first = l.list;
	assert_int_equal(ghlist_add_cached(&l), 0);
	assert_int_equal(add(&l, "u2", "\"b3\"", "{\"runners\": []}"), 0);
	ghlist_drop(&l);
	assert_int_equal(l.n_pages, 0);
	assert_ptr_equal(l.list, first);
	assert_string_equal(l.cache[1].etag, "\"b2\"");
	assert_string_equal(l.list[3].name, "i");

	/* Fewer pages than before: a new list, the extra cached page freed. */
	assert_int_equal(ghlist_add_cached(&l), 0);
	assert_int_equal(ghlist_commit(&l), 0);
	assert_int_equal(l.n_cache, 1);
	assert_int_equal(l.n_list, 2);
	ghlist_deinit(&l);
	ghlist_deinit(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_page),
	        cmocka_unit_test(test_refused),
	        cmocka_unit_test(test_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
