/* SPDX-License-Identifier: MIT */
/*
 * ghlist.h — a self-hosted runner list as GitHub pages it: one page's JSON
 * read into runners, the pages of the read in progress, the pages of the
 * last whole list kept with their ETags, and the list handed out.
 *
 * A read appends its pages in order: a page answered 200 is parsed into a
 * page of its own (ghlist_add_page()); a page answered 304 is "borrowed"
 * from the last whole list's page of the same index (ghlist_add_cached()),
 * not parsed again. ghlist_commit() makes the pages the cache — borrowed
 * ones handed over — and rebuilds the list (shallow copies of the pages'
 * runners, sorted by id, one per id: a runner that moves between pages
 * while they are read would otherwise be listed twice), unless every page
 * was borrowed: then the list is the very same array as before.
 * ghlist_drop() abandons a read: the cache and the list stay as they were.
 *
 * Ownership: the pages own their strings and runners; the list's entries
 * point into them; everything is freed by ghlist_deinit(). Nothing here
 * touches the network or the loop.
 */
#ifndef RW_GHLIST_H
#define RW_GHLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** One self-hosted runner as GitHub lists it. */
struct gh_runner {
	int64_t id;    /* GitHub's runner id */
	char *name;    /* verbatim */
	bool online;   /* "status": "online" (busy or idle); else offline */
	bool busy;     /* running a job */
	char **labels; /* label names, lower-cased */
	size_t n_labels;
};

/** One page: its own, or borrowed from the cache (a 304). */
struct ghpage {
	char *url;  /* the URL it was read from */
	char *etag; /* its ETag; NULL when GitHub sent none */
	char *next; /* rel="next" (set by the reader); NULL on the last page */
	struct gh_runner *runners;
	size_t n;
	bool borrowed; /* the cache's page of the same index owns the above */
};

/** An embedded struct: zeroed is empty. */
struct ghlist {
	struct ghpage *pages; /* the read in progress */
	size_t n_pages, cap_pages;
	struct ghpage *cache; /* the last whole list's pages */
	size_t n_cache;
	struct gh_runner *list; /* the last whole list */
	size_t n_list;
};

/**
 * The ETag to send as If-None-Match for the next page (number n_pages),
 * read from @p url: the cached page's, when it was read from the same URL;
 * else NULL.
 */
const char *ghlist_etag_for(const struct ghlist *l, const char *url);

/**
 * The next page answered 304: borrows the cache's page of its index (the
 * caller sent that page's ETag). @return 0, RW_ENOMEM, RW_EINVAL (no such
 * cached page).
 */
int ghlist_add_cached(struct ghlist *l);

/**
 * The next page answered 200: copies @p url and @p etag (may be NULL),
 * parses @p body ({"runners": [{"id", "name", "status", "busy", "labels":
 * [{"name"}]}]}) into a new page, and sets *@p page to it. A page that does
 * not parse is kept all the same, to be freed with the read.
 * @param why  on RW_EINVAL, what is wrong with the body.
 * @return 0, RW_EINVAL, RW_ENOMEM.
 */
int ghlist_add_page(struct ghlist *l, const char *url, const char *etag, const char *body,
                    size_t len, struct ghpage **page, char *why, size_t whylen);

/** The read's pages become the cache; the list is rebuilt if any page is
 *  new. @return 0 or RW_ENOMEM (then nothing changed; drop the read). */
int ghlist_commit(struct ghlist *l);

/** Abandons the read in progress. */
void ghlist_drop(struct ghlist *l);

/** Frees everything; @p l is empty afterwards. */
void ghlist_deinit(struct ghlist *l);

#endif
