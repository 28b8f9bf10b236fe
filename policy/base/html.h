/* SPDX-License-Identifier: MIT */
/*
 * html.h — text made safe for HTML: the status page and the HTML report
 * write every name, note and URL through here.
 *
 * The one rule, for element text and for attribute values in double or
 * single quotes alike:
 *   - & < > " ' become &amp; &lt; &gt; &quot; &#39;, so no text can open a
 *     tag, end an attribute or start a character reference;
 *   - every control byte (0x00–0x1f, 0x7f: tab and line feed included) becomes
 *     a space;
 *   - every other byte stands for itself (UTF-8 passes through).
 *
 * Why a space for control bytes, rather than keeping tab and line feed and
 * writing U+FFFD for the rest (as the status page once did): HTML makes
 * control characters other than ASCII whitespace a parse error in text, and a
 * reference to one (&#1;) is a parse error too, so they cannot be kept; in
 * text a browser shows tab and line feed as a space anyway, and in an
 * attribute value (a tooltip, data-*) a raw line feed would survive and break
 * the one line we mean to show. A space keeps the words on either side apart
 * ("a\nb" reads "a b"), while U+FFFD puts a glyph that people read as broken
 * encoding into an operator's note. It is also the rule of the Markdown
 * report, so one note reads the same in every format.
 */
#ifndef RW_HTML_H
#define RW_HTML_H

#include <stdio.h>

#include "policy/base/strbuf.h"

/** Appends @p s escaped to @p b. A NULL @p s appends nothing. */
void html_escape(struct strbuf *b, const char *s);

/** Writes @p s escaped to @p f (errors show in ferror(@p f)). A NULL @p s
 *  writes nothing. */
void html_escape_file(FILE *f, const char *s);

#endif
