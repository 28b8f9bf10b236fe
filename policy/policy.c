/* SPDX-License-Identifier: MIT */
/*
 * policy.c — names of states and error classes, policy defaults, and the
 * lookups the daemon makes on a parsed policy. Parsing is in policy_parse.c.
 */
#include "policy/policy.h"

#include <stdlib.h>
#include <string.h>

const char *rw_state_name(enum rw_state s)
{
	switch (s) {
	case RW_STATE_UNKNOWN: return "unknown";
	case RW_STATE_UP: return "up";
	case RW_STATE_DOWN: return "down";
	case RW_STATE_MAINTENANCE: return "maintenance";
	case RW_STATE_OUTSIDE_WINDOW: return "outside_window";
	case RW_STATE_NOT_REGISTERED: return "not_registered";
	}
	return "unknown";
}

const char *rw_errclass_name(enum rw_errclass c)
{
	switch (c) {
	case RW_ERRCLASS_NONE: return "ok";
	case RW_ERRCLASS_DNS: return "dns";
	case RW_ERRCLASS_CONNECT: return "connect";
	case RW_ERRCLASS_TLS: return "tls";
	case RW_ERRCLASS_TIMEOUT: return "timeout";
	case RW_ERRCLASS_HTTP_STATUS: return "http_status";
	case RW_ERRCLASS_BODY: return "body";
	case RW_ERRCLASS_TOO_LARGE: return "too_large";
	case RW_ERRCLASS_REFUSED_BY_GUARD: return "refused_by_guard";
	case RW_ERRCLASS_OFFLINE: return "offline";
	case RW_ERRCLASS_GONE: return "gone";
	case RW_ERRCLASS_BELOW_MIN_ONLINE: return "below_min_online";
	case RW_ERRCLASS_NO_PICKUP: return "no_pickup";
	}
	return "unknown";
}

void policy_defaults(struct rw_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->version = 1;
	p->uptime_floor = 0.99;
	p->floor_ppm = 990000;
	p->probe.interval_s = 60;
	p->probe.timeout_ms = 10000;
	p->probe.failures_to_down = 3;
	p->probe.successes_to_up = 1;
	p->push.grace_s = 120;
	p->vantage.quorum = 1;
	p->github.member_retention_days = 14;
	p->window.rolling_days = 30;
	p->window.min_coverage = 0.9;
	p->window.min_coverage_ppm = 900000;
	p->flagging.restore_margin = 0.005;
	p->flagging.restore_margin_ppm = 5000;
	p->flagging.probation_days = 7;
	p->maintenance.min_notice_h = 24;
	p->maintenance.max_h_per_month = 8;
	p->blindness.fraction = 0.5;
	p->blindness.fraction_ppm = 500000;
	p->blindness.min_runners = 4;
}

void policy_deinit(struct rw_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_targets; i++)
		free(p->targets[i].triple);
	free(p->targets);
	free(p->tiers);
	free(p->service_spans);
	for (size_t i = 0; i < p->blindness.n_canaries; i++)
		free(p->blindness.canaries[i]);
	free(p->blindness.canaries);
	policy_defaults(p);
}

int policy_target_tier(const struct rw_policy *p, const char *triple)
{
	for (size_t i = 0; i < p->n_targets; i++)
		if (strcmp(p->targets[i].triple, triple) == 0)
			return p->targets[i].tier;
	return 0;
}

uint32_t policy_floor_ppm(const struct rw_policy *p, const char *const *targets, size_t n)
{
	uint32_t best = 0;
	int any = 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t f = p->floor_ppm;
		int tier = policy_target_tier(p, targets[i]);
		for (size_t j = 0; tier && j < p->n_tiers; j++)
			if (p->tiers[j].tier == tier)
				f = p->tiers[j].floor_ppm;
		if (!any || f > best)
			best = f;
		any = 1;
	}
	return any ? best : p->floor_ppm;
}

int64_t policy_probation_end_ms(const struct rw_policy *p, int64_t created_ms, int64_t waived_ms)
{
	int64_t end = created_ms + (int64_t)p->flagging.probation_days * 86400000;

	return waived_ms > 0 && waived_ms < end ? waived_ms : end;
}
