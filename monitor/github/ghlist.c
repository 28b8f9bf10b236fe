/* SPDX-License-Identifier: MIT */
/* ghlist.c — GitHub's paged runner lists, read and kept; see ghlist.h. */
#include "monitor/github/ghlist.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/base/rw_error.h"

static void runners_free(struct gh_runner *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		for (size_t j = 0; j < v[i].n_labels; j++)
			free(v[i].labels[j]);
		free(v[i].labels);
	}
	free(v);
}

static void page_free(struct ghpage *p)
{
	if (!p->borrowed) {
		free(p->url);
		free(p->etag);
		free(p->next);
		runners_free(p->runners, p->n);
	}
	memset(p, 0, sizeof(*p));
}

void ghlist_drop(struct ghlist *l)
{
	for (size_t i = 0; i < l->n_pages; i++)
		page_free(&l->pages[i]);
	l->n_pages = 0;
}

void ghlist_deinit(struct ghlist *l)
{
	ghlist_drop(l);
	free(l->pages);
	for (size_t i = 0; i < l->n_cache; i++)
		page_free(&l->cache[i]);
	free(l->cache);
	free(l->list);
	memset(l, 0, sizeof(*l));
}

const char *ghlist_etag_for(const struct ghlist *l, const char *url)
{
	const struct ghpage *c = l->n_pages < l->n_cache ? &l->cache[l->n_pages] : NULL;

	return c && c->etag && c->url && strcmp(c->url, url) == 0 ? c->etag : NULL;
}

/* Room for one more page, zeroed. */
static struct ghpage *page_append(struct ghlist *l)
{
	if (l->n_pages == l->cap_pages) {
		size_t nc = l->cap_pages ? l->cap_pages * 2 : 4;
		struct ghpage *np = realloc(l->pages, nc * sizeof(*np));
		if (!np)
			return NULL;
		l->pages = np;
		l->cap_pages = nc;
	}
	memset(&l->pages[l->n_pages], 0, sizeof(l->pages[0]));
	return &l->pages[l->n_pages++];
}

int ghlist_add_cached(struct ghlist *l)
{
	size_t i = l->n_pages;
	struct ghpage *pg;

	if (i >= l->n_cache)
		return RW_EINVAL;
	pg = page_append(l);
	if (!pg)
		return RW_ENOMEM;
	*pg = l->cache[i];
	pg->borrowed = true;
	return 0;
}

static char *lower_dup(const char *s)
{
	char *d = strdup(s);

	for (char *p = d; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

/* One runner of the "runners" array. */
static int parse_runner(const cJSON *r, struct gh_runner *out, char *why, size_t whylen)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "id");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(r, "name");
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(r, "status");
	const cJSON *busy = cJSON_GetObjectItemCaseSensitive(r, "busy");
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(r, "labels"), *l;
	size_t n = 0;

	if (!cJSON_IsNumber(id) || id->valuedouble < 0 || id->valuedouble > 9007199254740992.0 ||
	    id->valuedouble != (double)(int64_t)id->valuedouble || !cJSON_IsString(name) ||
	    !cJSON_IsString(status) || (busy && !cJSON_IsBool(busy)) ||
	    (labels && !cJSON_IsArray(labels))) {
		snprintf(why, whylen,
		         "a runner without a whole \"id\", a \"name\" and a \"status\" string, or "
		         "with a \"busy\" or \"labels\" of the wrong type");
		return RW_EINVAL;
	}
	out->id = (int64_t)id->valuedouble;
	out->online = strcmp(status->valuestring, "online") == 0;
	out->busy = cJSON_IsTrue(busy);
	out->name = strdup(name->valuestring);
	if (!out->name)
		return RW_ENOMEM;
	if (labels && cJSON_GetArraySize(labels) > 0) {
		out->labels = calloc((size_t)cJSON_GetArraySize(labels), sizeof(char *));
		if (!out->labels)
			return RW_ENOMEM;
	}
	cJSON_ArrayForEach(l, labels)
	{
		const cJSON *ln = cJSON_GetObjectItemCaseSensitive(l, "name");
		if (!cJSON_IsString(ln)) {
			snprintf(why, whylen, "runner %" PRId64 ": a label without a \"name\"",
			         out->id);
			return RW_EINVAL;
		}
		out->labels[n] = lower_dup(ln->valuestring);
		if (!out->labels[n])
			return RW_ENOMEM;
		out->n_labels = ++n;
	}
	return 0;
}

int ghlist_add_page(struct ghlist *l, const char *url, const char *etag, const char *body,
                    size_t len, struct ghpage **page, char *why, size_t whylen)
{
	struct ghpage *pg = page_append(l);
	const cJSON *runners, *r;
	cJSON *doc;
	int rc = 0;

	*page = pg;
	if (!pg)
		return RW_ENOMEM;
	pg->url = strdup(url);
	pg->etag = etag && *etag ? strdup(etag) : NULL;
	if (!pg->url || (etag && *etag && !pg->etag))
		return RW_ENOMEM;
	doc = cJSON_ParseWithLength(body ? body : "", body ? len : 0);
	runners = cJSON_GetObjectItemCaseSensitive(doc, "runners");
	if (!cJSON_IsObject(doc) || !cJSON_IsArray(runners)) {
		snprintf(why, whylen, "%s",
		         doc ? "the answer has no \"runners\" array" : "the answer is not JSON");
		cJSON_Delete(doc);
		return RW_EINVAL;
	}
	if (cJSON_GetArraySize(runners) > 0) {
		pg->runners = calloc((size_t)cJSON_GetArraySize(runners), sizeof(*pg->runners));
		if (!pg->runners)
			rc = RW_ENOMEM;
	}
	cJSON_ArrayForEach(r, runners)
	{
		if (rc < 0)
			break;
		rc = parse_runner(r, &pg->runners[pg->n], why, whylen);
		pg->n++; /* counted even when half-made, so that it is freed */
	}
	cJSON_Delete(doc);
	return rc;
}

static int by_id(const void *a, const void *b)
{
	const struct gh_runner *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

int ghlist_commit(struct ghlist *l)
{
	bool same = l->n_pages == l->n_cache;
	size_t total = 0, n = 0;
	struct gh_runner *list = NULL;

	for (size_t i = 0; i < l->n_pages; i++) {
		same = same && l->pages[i].borrowed;
		total += l->pages[i].n;
	}
	if (!same && total > 0) {
		list = malloc(total * sizeof(*list));
		if (!list)
			return RW_ENOMEM;
		for (size_t i = 0; i < l->n_pages; i++)
			for (size_t j = 0; j < l->pages[i].n; j++)
				list[n++] = l->pages[i].runners[j];
		qsort(list, n, sizeof(*list), by_id);
		total = n;
		n = 0;
		for (size_t i = 0; i < total; i++)
			if (n == 0 || list[n - 1].id != list[i].id)
				list[n++] = list[i];
	}
	/* Hand the borrowed pages over, then free what is left of the old
	 * cache; the new list's shallow copies point into the new pages. */
	for (size_t i = 0; i < l->n_pages; i++) {
		if (l->pages[i].borrowed) {
			l->pages[i] = l->cache[i];
			l->cache[i].borrowed = true; /* its fields now belong to pages[i] */
		}
	}
	for (size_t i = 0; i < l->n_cache; i++)
		page_free(&l->cache[i]);
	free(l->cache);
	l->cache = l->pages;
	l->n_cache = l->n_pages;
	l->pages = NULL;
	l->n_pages = l->cap_pages = 0;
	if (!same) {
		free(l->list);
		l->list = list;
		l->n_list = n;
	}
	return 0;
}
