/* SPDX-License-Identifier: MIT */
/*
 * table.h — a table of text cells written, row by row as it is built, as a
 * Markdown pipe table, CSV (RFC 4180) or an HTML <table>: the one place
 * where reports escape what they print. Rows are written as they come, so a
 * table of 10,000 runners costs one row of memory.
 *
 * Escaping, per format (cells are UTF-8 text from the store: runner and
 * operator names, operators' incident notes):
 *  - Markdown: control bytes become spaces, and \ ` * _ [ ] < > | & ~ get a
 *    backslash (CommonMark: any ASCII punctuation may be escaped), so a note
 *    cannot break the table, start a link or inject HTML;
 *  - CSV: every field that holds a comma, a double quote, CR or LF is quoted,
 *    with quotes doubled; records end in CRLF; the first record is the
 *    header (RFC 4180 section 2);
 *  - HTML: html_escape_file() (policy/base/html.h): & < > " ' become
 *    character references, control bytes spaces.
 */
#ifndef RW_TABLE_H
#define RW_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum table_format { TABLE_MD, TABLE_CSV, TABLE_HTML };

struct table {
	FILE *f;
	enum table_format fmt;
	size_t n_cols;            /* at most 64 */
	uint64_t right;           /* bit c: column c is right-aligned (Markdown, HTML) */
	uint64_t raw_html;        /* bit c: column c holds HTML the caller built; written as
	                             is in HTML (the other formats escape it as text) */
	uint64_t triples;         /* bit c: column c holds target triples, ", "-separated;
	                             HTML keeps each on one line (<span class="triple">) */
	const char *const *heads; /* set by table_begin() */
};

/**
 * Starts a table of @p n_cols columns titled @p heads on @p f: writes the
 * header. HTML writes <table class="@p css_class"> (@p css_class may be
 * NULL; the others ignore it), and gives every cell its column's title in
 * data-label, so that a narrow screen can show each row as a card. Set
 * t->right, t->raw_html and t->triples before; @p heads must outlive the
 * table.
 */
void table_begin(struct table *t, FILE *f, enum table_format fmt, size_t n_cols,
                 const char *const *heads, const char *css_class);

/** Writes a row of n_cols cells (NULL is written as empty). */
void table_row(struct table *t, const char *const *cells);

/** Ends the table. @return 0, or RW_EIO when writing failed. */
int table_end(struct table *t);

/** Writes @p s escaped for Markdown inline text. */
void table_put_md(FILE *f, const char *s);

/** Writes @p s as one CSV field (quoted when it must be). */
void table_put_csv(FILE *f, const char *s);

#endif
