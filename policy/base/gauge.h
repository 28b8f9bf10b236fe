/* SPDX-License-Identifier: MIT */
/*
 * gauge.h — a runner's uptime against its floor at a glance: a small inline
 * SVG bar, the same on the status page and in the HTML report.
 *
 * The bar spans from 100 % less four times the floor's headroom to 100 %
 * (a 99 % floor: 96 %–100 %; 99.5 %: 98 %–100 %; at least 0.1 % wide, and
 * never below 0 %), so that the floor sits three quarters along and the
 * differences that decide a verdict are visible; 0 % would put every runner
 * at the right end. The floor is a dark mark across the bar; the uptime
 * fills it from the left, green (class g-ok) at or above the floor, red
 * (g-bad) below it, with at least a sliver when it is below the bar's
 * start; without an uptime the bar is empty and hatched grey (g-none). The
 * colour is never the only sign: the page prints the uptime and the floor
 * as text beside it, and the tooltip (<title>) says both.
 *
 * Integer arithmetic only, so the same figures give the same bytes.
 */
#ifndef RW_GAUGE_H
#define RW_GAUGE_H

#include <stdbool.h>
#include <stdint.h>

#include "policy/base/strbuf.h"

/**
 * Appends the gauge of @p uptime_ppm (ignored unless @p has_uptime) against
 * @p floor_ppm to @p b: an <svg class="gauge"> 96 px wide and 12 px high,
 * titled "@p uptime_text against the floor @p floor_text" (both escaped;
 * "no uptime" when there is none). The classes g-bg, g-ok, g-bad, g-none
 * and g-floor are the page's to colour.
 */
void gauge_svg(struct strbuf *b, bool has_uptime, uint32_t uptime_ppm, uint32_t floor_ppm,
               const char *uptime_text, const char *floor_text);

#endif
