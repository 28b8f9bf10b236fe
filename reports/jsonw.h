/* SPDX-License-Identifier: MIT */
/*
 * jsonw.h — building the reports' JSON documents with cJSON without losing an
 * allocation failure: cJSON reports one only by returning NULL, and its adders
 * accept a NULL object silently, so every add goes through jsonw_put() or
 * jsonw_push(), which remember the failure in *oom; jsonw_write() then refuses
 * to print a document with an item missing.
 *
 * Values follow DESIGN.md's contract: times are RFC 3339 UTC strings (fmt.h),
 * ratios are numbers in [0, 1] (from ppm, so at most 6 decimals), durations
 * are integer milliseconds, and a missing value is null.
 */
#ifndef RW_JSONW_H
#define RW_JSONW_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/** Adds @p item to object @p o under @p key; on any failure frees it and sets *oom. */
void jsonw_put(cJSON *o, const char *key, cJSON *item, bool *oom);

/** Appends @p item to array @p a; on any failure frees it and sets *oom. */
void jsonw_push(cJSON *a, cJSON *item, bool *oom);

/** An integer, exact. */
cJSON *jsonw_int(int64_t v);

/** An integer, or null when @p v < 0. */
cJSON *jsonw_int_or_null(int64_t v);

/** @p v / 1000 with up to 3 decimals (34815 → 34.815, 20000 → 20), or null
 *  when @p v < 0: a latency in ms from µs. */
cJSON *jsonw_thousandths(int64_t v);

/** A time (fmt_time()), or null when @p ms < 0. */
cJSON *jsonw_time(int64_t ms);

/** A ratio from parts per million (fmt_ratio(): 6 decimals at most), or null
 *  when !@p has. */
cJSON *jsonw_ratio(bool has, uint32_t ppm);

/** A string, or null when @p s is NULL. */
cJSON *jsonw_string_or_null(const char *s);

/*
 * Streaming a large document: a top-level object written member by member,
 * each value printed compactly (cJSON_PrintUnformatted()) on a line of its
 * own, and the elements of a top-level array one per line, so that a report
 * of 10,000 runners holds one runner's tree at a time, and a diff of two
 * reports shows which runner changed.
 */
struct jsonw_stream {
	FILE *f;
	bool first;    /* no member written yet */
	bool first_el; /* no element of the open array written yet */
	bool oom;      /* a value was missing an item or could not be printed */
};

/** Writes "{" and starts @p s on @p f. */
void jsonw_begin(struct jsonw_stream *s, FILE *f);

/** Writes the member "@p key": @p value (a JSON key needing no escape) and
 *  frees @p value; @p oom: the value is incomplete (set by jsonw_put()). */
void jsonw_member(struct jsonw_stream *s, const char *key, cJSON *value, bool oom);

/** Starts the member "@p key": [ ... ]. */
void jsonw_array_begin(struct jsonw_stream *s, const char *key);

/** Writes one element of the open array and frees @p value. */
void jsonw_element(struct jsonw_stream *s, cJSON *value, bool oom);

/** Ends the open array. */
void jsonw_array_end(struct jsonw_stream *s);

/** Writes "}" and a newline. @return 0, RW_ENOMEM (something was left out), RW_EIO. */
int jsonw_end(struct jsonw_stream *s);

/**
 * Prints @p doc (formatted, then a newline) to @p f and frees it.
 * @return 0, RW_ENOMEM (@p oom was set, or printing ran out of memory), RW_EIO.
 */
int jsonw_write(FILE *f, cJSON *doc, bool oom);

#endif
