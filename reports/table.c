/* SPDX-License-Identifier: MIT */
/* table.c — a table of cells as Markdown, CSV or HTML, row by row; see table.h. */
#include "reports/table.h"

#include <stdbool.h>
#include <string.h>

#include "policy/base/html.h"
#include "policy/base/rw_error.h"

static bool is_ctl(unsigned char ch)
{
	return ch < 0x20 || ch == 0x7f;
}

void table_put_md(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (is_ctl((unsigned char)*s))
			fputc(' ', f);
		else if (strchr("\\`*_[]<>|&~", *s))
			fprintf(f, "\\%c", *s);
		else
			fputc(*s, f);
	}
}

void table_put_csv(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* "a, b" as <span class="triple">a</span> <span class="triple">b</span>. */
static void put_triples(FILE *f, const char *s)
{
	while (*s) {
		size_t n = strcspn(s, ",");
		char one[256];

		while (*s == ' ')
			s++, n--;
		snprintf(one, sizeof(one), "%.*s", (int)n, s);
		fputs("<span class=\"triple\">", f);
		html_escape_file(f, one);
		fputs("</span>", f);
		s += n;
		if (*s == ',') {
			fputc(' ', f);
			s++;
		}
	}
}

/* One row; @p head: the header row. */
static void put_row(const struct table *t, const char *const *cells, bool head)
{
	FILE *f = t->f;

	for (size_t c = 0; c < t->n_cols; c++) {
		const char *s = cells[c] ? cells[c] : "";
		bool right = t->right & ((uint64_t)1 << c);
		switch (t->fmt) {
		case TABLE_MD:
			fputs(c ? " " : "| ", f);
			table_put_md(f, s);
			fputs(" |", f);
			break;
		case TABLE_CSV:
			if (c)
				fputc(',', f);
			table_put_csv(f, s);
			break;
		case TABLE_HTML:
			if (head) {
				fputs(right ? "<th class=\"n\">" : "<th>", f);
			} else {
				fputs(right ? "<td class=\"n\" data-label=\"" : "<td data-label=\"",
				      f);
				html_escape_file(f, t->heads[c]);
				fputs("\">", f);
			}
			if (!head && (t->raw_html & ((uint64_t)1 << c)))
				fputs(s, f);
			else if (!head && (t->triples & ((uint64_t)1 << c)))
				put_triples(f, s);
			else
				html_escape_file(f, s);
			fputs(head ? "</th>" : "</td>", f);
			break;
		}
	}
}

void table_begin(struct table *t, FILE *f, enum table_format fmt, size_t n_cols,
                 const char *const *heads, const char *css_class)
{
	t->f = f;
	t->fmt = fmt;
	t->heads = heads;
	t->n_cols = n_cols > 64 ? 64 : n_cols;
	switch (fmt) {
	case TABLE_MD:
		put_row(t, heads, true);
		fputc('\n', f);
		for (size_t c = 0; c < t->n_cols; c++)
			fputs(t->right & ((uint64_t)1 << c) ? (c ? " ---: |" : "| ---: |")
			                                    : (c ? " --- |" : "| --- |"),
			      f);
		fputc('\n', f);
		break;
	case TABLE_CSV:
		put_row(t, heads, true);
		fputs("\r\n", f);
		break;
	case TABLE_HTML:
		fputs("<table", f);
		if (css_class) {
			fputs(" class=\"", f);
			html_escape_file(f, css_class);
			fputc('"', f);
		}
		fputs(">\n<thead><tr>", f);
		put_row(t, heads, true);
		fputs("</tr></thead>\n<tbody>\n", f);
		break;
	}
}

void table_row(struct table *t, const char *const *cells)
{
	if (t->fmt == TABLE_HTML)
		fputs("<tr>", t->f);
	put_row(t, cells, false);
	fputs(t->fmt == TABLE_HTML ? "</tr>\n" : t->fmt == TABLE_CSV ? "\r\n" : "\n", t->f);
}

int table_end(struct table *t)
{
	if (t->fmt == TABLE_HTML)
		fputs("</tbody>\n</table>\n", t->f);
	return ferror(t->f) ? RW_EIO : 0;
}
