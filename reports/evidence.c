/* SPDX-License-Identifier: MIT */
/* evidence.c — one runner's stored history, read once for the accounting; see evidence.h. */
#include "reports/evidence.h"

#include <stdlib.h>
#include <string.h>

#include "policy/calendar.h"

void evidence_init(struct evidence *ev)
{
	memset(ev, 0, sizeof(*ev));
}

int evidence_load(struct evidence *ev, struct store_reader *rd, const struct store_runner *sr,
                  int64_t from_ms, int64_t to_ms, int64_t now_ms)
{
	int64_t cap_from, cap_end;
	int rc;

	ev->sr = sr;
	ev->now_ms = now_ms;
	ev->n_iv = ev->n_mw = 0;
	rc = store_reader_intervals(rd, sr->id, from_ms, to_ms, &ev->iv, &ev->cap_iv, &ev->n_iv);
	if (rc < 0)
		return rc;
	calendar_month(from_ms, &cap_from, &cap_end);
	return store_reader_maintenance(rd, sr->id, cap_from, INT64_MAX, &ev->mw, &ev->cap_mw,
	                                &ev->n_mw);
}

void evidence_input(const struct evidence *ev, const struct rw_policy *pol,
                    struct account_input *in)
{
	memset(in, 0, sizeof(*in));
	in->iv = ev->iv;
	in->n_iv = ev->n_iv;
	in->mw = ev->mw;
	in->n_mw = ev->n_mw;
	in->policy = pol;
	in->now_ms = ev->now_ms;
	in->created_ms = ev->sr->created_ms;
	if (ev->sr->status == STORE_RUNNER_RETIRED)
		in->retired_ms = ev->sr->retired_ms > 0 ? ev->sr->retired_ms : ev->sr->created_ms;
}

void evidence_judge(const struct evidence *ev, const struct rw_policy *pol, uint32_t floor_ppm,
                    int64_t from_ms, int64_t to_ms, struct rw_availability *out)
{
	struct account_input in;

	evidence_input(ev, pol, &in);
	account_judge(&in, from_ms, to_ms, floor_ppm, out);
}

void evidence_deinit(struct evidence *ev)
{
	if (!ev)
		return;
	free(ev->iv);
	free(ev->mw);
	evidence_init(ev);
}
