/* SPDX-License-Identifier: MIT */
/* gauge.c — the uptime against the floor as a small SVG bar; see gauge.h. */
#include "policy/base/gauge.h"

#include "policy/base/html.h"

#define PPM      1000000u
#define UNITS    960u /* the viewBox's width: tenths of a CSS pixel */
#define HEIGHT   12   /* CSS px */
#define MIN_SPAN 1000u

/* x of @p ppm on a bar from @p lo spanning @p span, clamped to the bar. */
static unsigned x_of(uint32_t ppm, uint32_t lo, uint32_t span)
{
	if (ppm <= lo)
		return 0;
	if (ppm - lo >= span)
		return UNITS;
	return (unsigned)((uint64_t)(ppm - lo) * UNITS / span);
}

void gauge_svg(struct strbuf *b, bool has_uptime, uint32_t uptime_ppm, uint32_t floor_ppm,
               const char *uptime_text, const char *floor_text)
{
	uint32_t room = floor_ppm < PPM ? PPM - floor_ppm : 0;
	uint32_t span = room > PPM / 4 ? PPM : room * 4 < MIN_SPAN ? MIN_SPAN : room * 4;
	uint32_t lo = PPM - span;
	unsigned xf = x_of(floor_ppm, lo, span), fill = 0;
	const char *cls = "g-none";

	if (has_uptime) {
		fill = x_of(uptime_ppm, lo, span);
		cls = uptime_ppm >= floor_ppm ? "g-ok" : "g-bad";
		if (fill < 20)
			fill = 20; /* a sliver: the uptime is off the bar's left end */
	}
	/* The floor's mark, 2 px wide, kept inside the bar. */
	xf = xf < 10 ? 0 : xf > UNITS - 10 ? UNITS - 20 : xf - 10;
	strbuf_printf(b,
	              "<svg class=\"gauge\" width=\"96\" height=\"%d\" viewBox=\"0 0 %u %d\" "
	              "preserveAspectRatio=\"none\" role=\"img\"><title>",
	              HEIGHT, UNITS, HEIGHT);
	if (has_uptime)
		html_escape(b, uptime_text);
	else
		strbuf_puts(b, "no uptime");
	strbuf_puts(b, " against the floor ");
	html_escape(b, floor_text);
	strbuf_printf(b,
	              "</title><rect class=\"g-bg\" width=\"%u\" height=\"%d\"/>"
	              "<rect class=\"%s\" y=\"2\" width=\"%u\" height=\"%d\"/>"
	              "<rect class=\"g-floor\" x=\"%u\" width=\"20\" height=\"%d\"/></svg>",
	              UNITS, HEIGHT, cls, has_uptime ? fill : UNITS, HEIGHT - 4, xf, HEIGHT);
}
