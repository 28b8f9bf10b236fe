/* SPDX-License-Identifier: MIT */
/*
 * test_policy_parse.c — policy_parse() and policy_to_json().
 *
 * Table tests: every bad document must fail with RW_EINVAL, leave the policy
 * at its defaults, and say so in one line that starts with the exact
 * "policy.json:LINE: FIELD" and quotes the bad value. Then the DESIGN.md
 * example, defaults, bounds, the service-window grammar, the round trip
 * through policy_to_json(), the floor lookup, and allocation failures inside
 * cJSON (RW_ENOMEM, not a syntax error).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "policy/base/rw_error.h"
#include "policy/policy.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Documents are written pretty-printed; V1 puts line 3 where the body starts. */
#define V1           "{\n  \"version\": 1,\n"
#define END          "\n}\n"
#define TOP(x)       V1 "  " x END
#define SEC(name, x) V1 "  \"" name "\": {\n    " x "\n  }" END
#define SPAN(x)      V1 "  \"service_window\": {\n    \"weekly\": [\n      { " x " }\n    ]\n  }" END
#define GOOD_SPAN(x) SPAN("\"days\": \"mon-fri\", " x)
#define CANARIES(x)  V1 "  \"blindness\": {\n    \"canaries\": [\n      " x "\n    ]\n  }" END
#define RAW(lit)     lit, sizeof(lit) - 1

#define ERRLEN 1024

static const char design_example[] =
        "{\n"
        "  \"version\": 3,\n"
        "  \"uptime_floor\": 0.99,\n"
        "  \"tiers\": { \"2\": { \"uptime_floor\": 0.99 }, \"3\": { \"uptime_floor\": 0.95 } },\n"
        "  \"targets\": { \"riscv64gc-unknown-linux-gnu\": 2, \"powerpc64-unknown-linux-musl\": 3 "
        "},\n"
        "  \"probe\": { \"interval_s\": 60, \"timeout_ms\": 10000, \"failures_to_down\": 3, "
        "\"successes_to_up\": 1 },\n"
        "  \"push\": { \"grace_s\": 120 },\n"
        "  \"window\": { \"rolling_days\": 30, \"min_coverage\": 0.9 },\n"
        "  \"flagging\": { \"restore_margin\": 0.005, \"probation_days\": 7 },\n"
        "  \"maintenance\": { \"min_notice_h\": 24, \"max_h_per_month\": 8 },\n"
        "  \"service_window\": { \"weekly\": [ { \"days\": \"mon-fri\", \"from\": \"06:00\", "
        "\"to\": \"22:00\" } ] },\n"
        "  \"blindness\": { \"fraction\": 0.5, \"min_runners\": 4, \"canaries\": [ "
        "\"https://example.org/\" ] }\n"
        "}\n";

/* ---- helpers ------------------------------------------------------------- */

static bool policy_equal(const struct rw_policy *a, const struct rw_policy *b)
{
	if (a->version != b->version || a->uptime_floor != b->uptime_floor ||
	    a->floor_ppm != b->floor_ppm || a->n_tiers != b->n_tiers ||
	    a->n_targets != b->n_targets || a->n_service_spans != b->n_service_spans ||
	    a->blindness.n_canaries != b->blindness.n_canaries)
		return false;
	if (memcmp(&a->probe, &b->probe, sizeof(a->probe)) != 0 ||
	    a->push.grace_s != b->push.grace_s || a->vantage.quorum != b->vantage.quorum ||
	    a->window.rolling_days != b->window.rolling_days ||
	    a->window.min_coverage != b->window.min_coverage ||
	    a->window.min_coverage_ppm != b->window.min_coverage_ppm ||
	    a->flagging.restore_margin != b->flagging.restore_margin ||
	    a->flagging.restore_margin_ppm != b->flagging.restore_margin_ppm ||
	    a->flagging.probation_days != b->flagging.probation_days ||
	    a->maintenance.min_notice_h != b->maintenance.min_notice_h ||
	    a->maintenance.max_h_per_month != b->maintenance.max_h_per_month ||
	    a->blindness.fraction != b->blindness.fraction ||
	    a->blindness.fraction_ppm != b->blindness.fraction_ppm ||
	    a->blindness.min_runners != b->blindness.min_runners ||
	    a->pool.min_runners != b->pool.min_runners ||
	    a->github.member_retention_days != b->github.member_retention_days)
		return false;
	for (size_t i = 0; i < a->n_tiers; i++)
		if (a->tiers[i].tier != b->tiers[i].tier ||
		    a->tiers[i].uptime_floor != b->tiers[i].uptime_floor ||
		    a->tiers[i].floor_ppm != b->tiers[i].floor_ppm)
			return false;
	for (size_t i = 0; i < a->n_targets; i++)
		if (strcmp(a->targets[i].triple, b->targets[i].triple) != 0 ||
		    a->targets[i].tier != b->targets[i].tier)
			return false;
	for (size_t i = 0; i < a->n_service_spans; i++)
		if (a->service_spans[i].days != b->service_spans[i].days ||
		    a->service_spans[i].from_min != b->service_spans[i].from_min ||
		    a->service_spans[i].to_min != b->service_spans[i].to_min)
			return false;
	for (size_t i = 0; i < a->blindness.n_canaries; i++)
		if (strcmp(a->blindness.canaries[i], b->blindness.canaries[i]) != 0)
			return false;
	return true;
}

static bool is_defaults(const struct rw_policy *p)
{
	struct rw_policy d;

	policy_defaults(&d);
	return policy_equal(p, &d) && !p->tiers && !p->targets && !p->service_spans &&
	       !p->blindness.canaries;
}

/* Parses @p doc as "policy.json"; the policy starts as garbage. */
static int parse_n(struct rw_policy *p, const char *doc, size_t len, char *err)
{
	memset(p, 0x5a, sizeof(*p));
	err[0] = 'X';
	err[1] = '\0';
	return policy_parse(p, doc, len, "policy.json", NULL, err, ERRLEN);
}

static int parse(struct rw_policy *p, const char *doc, char *err)
{
	return parse_n(p, doc, strlen(doc), err);
}

static void parse_ok(struct rw_policy *p, const char *doc)
{
	char err[ERRLEN];
	int rc = parse(p, doc, err);

	if (rc != 0)
		fail_msg("unexpected failure %d: %s\n--- document:\n%s", rc, err, doc);
}

#define EURO10                                                                                     \
	"\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"                             \
	"\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"

/* True when every lead byte of @p s is followed by its continuation bytes. */
static bool utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int need = *p < 0x80                  ? 0
		           : *p >= 0xC2 && *p <= 0xDF ? 1
		           : *p >= 0xE0 && *p <= 0xEF ? 2
		           : *p >= 0xF0 && *p <= 0xF4 ? 3
		                                      : -1;
		if (need < 0)
			return false;
		for (int i = 1; i <= need; i++)
			if ((p[i] & 0xC0) != 0x80)
				return false;
		p += need + 1;
	}
	return true;
}

/* ---- the table of bad documents ------------------------------------------ */

struct bad {
	const char *doc;
	size_t len;        /* 0: strlen(doc) */
	int line;          /* the line the message must name */
	const char *field; /* what follows "policy.json:LINE: " */
	const char *says;  /* a part of the rest of the message */
};

static const struct bad bad_docs[] = {
        /* top level: uptime_floor */
        {TOP("\"uptime_floor\": 1.5"), 0, 3, "uptime_floor", ": 1.5 is not in [0, 1]"},
        {TOP("\"uptime_floor\": -0.01"), 0, 3, "uptime_floor", ": -0.01 is not in [0, 1]"},
        {TOP("\"uptime_floor\": 1e300"), 0, 3, "uptime_floor", ": 1e300 is not in [0, 1]"},
        {TOP("\"uptime_floor\": 1e400"), 0, 3, "uptime_floor", ": 1e400 is not in [0, 1]"},
        {TOP("\"uptime_floor\": \"0.99\""), 0, 3, "uptime_floor",
         ": expected a number in [0, 1], got \"0.99\" (a string)"},
        {TOP("\"uptime_floor\": true"), 0, 3, "uptime_floor", "got true"},
        {TOP("\"uptime_floor\": null"), 0, 3, "uptime_floor", "got null"},
        {TOP("\"uptime_floor\": [0.9]"), 0, 3, "uptime_floor", "got an array"},
        /* top level: unknown and duplicate keys */
        {TOP("\"uptime_flor\": 0.9"), 0, 3, "uptime_flor",
         ": unknown key (allowed: version, uptime_floor, tiers, targets, probe, push, vantage, "
         "window, flagging, maintenance, service_window, blindness, pool, github)"},
        {TOP("\"Version\": 1"), 0, 3, "Version", ": unknown key"},
        {TOP("\"uptime_floor\": 0.9,\n  \"uptime_floor\": 0.95"), 0, 4, "uptime_floor",
         ": duplicate key (first on line 3)"},
        {"{\n  \"version\": 1,\n  \"version\": 2\n}\n", 0, 3, "version",
         ": duplicate key (first on line 2)"},
        {TOP("\"\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87\": 1"), 0, 3, "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87",
         ": unknown key"},
        {TOP("\"" EURO10 EURO10 EURO10 "\": 1"), 0, 3, EURO10 EURO10 "\xe2\x82\xac",
         ": unknown key"},
        {TOP("\"uptime_floor\": \"" EURO10 EURO10 EURO10 "\""), 0, 3, "uptime_floor",
         ": expected a number in [0, 1], got \"" EURO10
         "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac... (a string)"},
        /* version */
        {"{\n  \"uptime_floor\": 0.9\n}\n", 0, 1, "version",
         ": missing (required: an integer >= 1)"},
        {"{}", 0, 1, "version", ": missing"},
        {"\n\n{ }\n", 0, 3, "version", ": missing"},
        {"{\n  \"version\": 0\n}\n", 0, 2, "version", ": 0 is not in [1, 2147483647]"},
        {"{\n  \"version\": -3\n}\n", 0, 2, "version", ": -3 is not in [1, 2147483647]"},
        {"{\n  \"version\": 1.5\n}\n", 0, 2, "version",
         ": 1.5 is not an integer (allowed: an integer in [1, 2147483647])"},
        {"{\n  \"version\": \"1\"\n}\n", 0, 2, "version",
         ": expected an integer in [1, 2147483647], got \"1\" (a string)"},
        {"{\n  \"version\": 1e300\n}\n", 0, 2, "version", ": 1e300 is not in [1, 2147483647]"},
        {"{\n  \"version\": 2147483648\n}\n", 0, 2, "version", ": 2147483648 is not in"},
        {"{\n  \"version\": null\n}\n", 0, 2, "version", "got null"},
        /* tiers */
        {TOP("\"tiers\": []"), 0, 3, "tiers", ": expected an object, got an array"},
        {TOP("\"tiers\": {\n    \"0\": { \"uptime_floor\": 0.9 }\n  }"), 0, 4, "tiers.0",
         ": \"0\" is not a tier (allowed: \"1\" to \"9\")"},
        {TOP("\"tiers\": {\n    \"10\": { \"uptime_floor\": 0.9 }\n  }"), 0, 4, "tiers.10",
         ": \"10\" is not a tier"},
        {TOP("\"tiers\": {\n    \"gold\": { \"uptime_floor\": 0.9 }\n  }"), 0, 4, "tiers.gold",
         ": \"gold\" is not a tier"},
        {TOP("\"tiers\": {\n    \"2\": 0.9\n  }"), 0, 4, "tiers.2",
         ": expected an object, got 0.9"},
        {TOP("\"tiers\": {\n    \"2\": { \"floor\": 0.9 }\n  }"), 0, 4, "tiers.2.floor",
         ": unknown key (allowed: uptime_floor)"},
        {TOP("\"tiers\": {\n    \"2\": { \"uptime_floor\": 1.5 }\n  }"), 0, 4,
         "tiers.2.uptime_floor", ": 1.5 is not in [0, 1]"},
        {TOP("\"tiers\": {\n    \"2\": {}\n  }"), 0, 4, "tiers.2.uptime_floor",
         ": missing (required: a number in [0, 1])"},
        {TOP("\"tiers\": {\n    \"2\": {\n      \"uptime_floor\": 0.99\n    },\n    \"3\": {\n"
             "      \"uptime_floor\": 2\n    }\n  }"),
         0, 8, "tiers.3.uptime_floor", ": 2 is not in [0, 1]"},
        {TOP("\"tiers\": {\n    \"2\": { \"uptime_floor\": 0.9 },\n    \"2\": { \"uptime_floor\": "
             "0.8 }\n  }"),
         0, 5, "tiers.2", ": duplicate key (first on line 4)"},
        /* targets */
        {TOP("\"targets\": [\"x86_64-unknown-linux-gnu\"]"), 0, 3, "targets",
         ": expected an object, got an array"},
        {TOP("\"targets\": {\n    \"Riscv64-linux\": 2\n  }"), 0, 4, "targets.Riscv64-linux",
         ": \"Riscv64-linux\" is not a target triple"},
        {TOP("\"targets\": {\n    \"x86_64\": 2\n  }"), 0, 4, "targets.x86_64",
         ": \"x86_64\" is not a target triple"},
        {TOP("\"targets\": {\n    \"riscv64gc-unknown-linux-gnu\": 0\n  }"), 0, 4,
         "targets.riscv64gc-unknown-linux-gnu", ": 0 is not in [1, 9]"},
        {TOP("\"targets\": {\n    \"riscv64gc-unknown-linux-gnu\": 10\n  }"), 0, 4,
         "targets.riscv64gc-unknown-linux-gnu", ": 10 is not in [1, 9]"},
        {TOP("\"targets\": {\n    \"riscv64gc-unknown-linux-gnu\": 2.5\n  }"), 0, 4,
         "targets.riscv64gc-unknown-linux-gnu", ": 2.5 is not an integer"},
        {TOP("\"targets\": {\n    \"riscv64gc-unknown-linux-gnu\": \"2\"\n  }"), 0, 4,
         "targets.riscv64gc-unknown-linux-gnu",
         ": expected an integer in [1, 9], got \"2\" (a string)"},
        {TOP("\"targets\": {\n    \"riscv64gc-unknown-linux-gnu\": 1e300\n  }"), 0, 4,
         "targets.riscv64gc-unknown-linux-gnu", ": 1e300 is not in [1, 9]"},
        {TOP("\"targets\": {\n    \"s390x-unknown-linux-gnu\": 2,\n    "
             "\"s390x-unknown-linux-gnu\": 3\n  }"),
         0, 5, "targets.s390x-unknown-linux-gnu", ": duplicate key (first on line 4)"},
        /* probe */
        {TOP("\"probe\": 60"), 0, 3, "probe", ": expected an object, got 60"},
        {SEC("probe", "\"intervall_s\": 60"), 0, 4, "probe.intervall_s",
         ": unknown key (allowed: interval_s, timeout_ms, failures_to_down, successes_to_up)"},
        {SEC("probe", "\"interval_s\": 0"), 0, 4, "probe.interval_s", ": 0 is not in [1, 86400]"},
        {SEC("probe", "\"interval_s\": 86401"), 0, 4, "probe.interval_s",
         ": 86401 is not in [1, 86400]"},
        {SEC("probe", "\"interval_s\": 1.5"), 0, 4, "probe.interval_s", ": 1.5 is not an integer"},
        {SEC("probe", "\"interval_s\": \"60\""), 0, 4, "probe.interval_s",
         ": expected an integer in [1, 86400], got \"60\" (a string)"},
        {SEC("probe", "\"interval_s\": 1e300"), 0, 4, "probe.interval_s",
         ": 1e300 is not in [1, 86400]"},
        {SEC("probe", "\"interval_s\": -1e300"), 0, 4, "probe.interval_s",
         ": -1e300 is not in [1, 86400]"},
        {SEC("probe", "\"interval_s\": 1e400"), 0, 4, "probe.interval_s",
         ": 1e400 is not in [1, 86400]"},
        {SEC("probe", "\"interval_s\": 18446744073709551616"), 0, 4, "probe.interval_s",
         ": 18446744073709551616 is not in [1, 86400]"},
        {SEC("probe", "\"interval_s\": 60,\n    \"interval_s\": 30"), 0, 5, "probe.interval_s",
         ": duplicate key (first on line 4)"},
        {SEC("probe", "\"timeout_ms\": 99"), 0, 4, "probe.timeout_ms",
         ": 99 is not in [100, 60000]"},
        {SEC("probe", "\"timeout_ms\": 60001"), 0, 4, "probe.timeout_ms",
         ": 60001 is not in [100, 60000] (at most probe.interval_s * 1000)"},
        {SEC("probe", "\"interval_s\": 10,\n    \"timeout_ms\": 10001"), 0, 5, "probe.timeout_ms",
         ": 10001 is not in [100, 10000] (at most probe.interval_s * 1000)"},
        {SEC("probe", "\"timeout_ms\": 5000.5"), 0, 4, "probe.timeout_ms",
         ": 5000.5 is not an integer"},
        {SEC("probe", "\"failures_to_down\": 0"), 0, 4, "probe.failures_to_down",
         ": 0 is not in [1, 100]"},
        {SEC("probe", "\"failures_to_down\": 101"), 0, 4, "probe.failures_to_down",
         ": 101 is not in [1, 100]"},
        {SEC("probe", "\"failures_to_down\": 1.5"), 0, 4, "probe.failures_to_down",
         ": 1.5 is not an integer (allowed: an integer in [1, 100])"},
        {SEC("probe", "\"failures_to_down\": true"), 0, 4, "probe.failures_to_down",
         ": expected an integer in [1, 100], got true"},
        {SEC("probe", "\"successes_to_up\": 0"), 0, 4, "probe.successes_to_up",
         ": 0 is not in [1, 100]"},
        {SEC("probe", "\"successes_to_up\": 101"), 0, 4, "probe.successes_to_up",
         ": 101 is not in [1, 100]"},
        {SEC("probe", "\"successes_to_up\": 2.5"), 0, 4, "probe.successes_to_up",
         ": 2.5 is not an integer"},
        /* push */
        {TOP("\"push\": []"), 0, 3, "push", ": expected an object, got an array"},
        {SEC("push", "\"grace\": 120"), 0, 4, "push.grace", ": unknown key (allowed: grace_s)"},
        {SEC("push", "\"grace_s\": -1"), 0, 4, "push.grace_s", ": -1 is not in [0, 86400]"},
        {SEC("push", "\"grace_s\": 86401"), 0, 4, "push.grace_s", ": 86401 is not in [0, 86400]"},
        {SEC("push", "\"grace_s\": 0.5"), 0, 4, "push.grace_s", ": 0.5 is not an integer"},
        {SEC("push", "\"grace_s\": \"120\""), 0, 4, "push.grace_s", "got \"120\" (a string)"},
        /* vantage: every error of quorum says what it counts */
        {TOP("\"vantage\": 2"), 0, 3, "vantage", ": expected an object, got 2"},
        {SEC("vantage", "\"qorum\": 2"), 0, 4, "vantage.qorum", ": unknown key (allowed: quorum)"},
        {SEC("vantage", "\"quorum\": 2,\n    \"quorum\": 3"), 0, 5, "vantage.quorum",
         ": duplicate key (first on line 4)"},
        {SEC("vantage", "\"quorum\": 0"), 0, 4, "vantage.quorum",
         ": 0 is not in [1, 64]; it counts vantage points (daemons of `runwarden serve "
         "--vantage NAME` on one PostgreSQL database) that must hold a runner down; 1, the "
         "default, is any one"},
        {SEC("vantage", "\"quorum\": 65"), 0, 4, "vantage.quorum",
         ": 65 is not in [1, 64]; it counts vantage points"},
        {SEC("vantage", "\"quorum\": -1"), 0, 4, "vantage.quorum",
         ": -1 is not in [1, 64]; it counts vantage points"},
        {SEC("vantage", "\"quorum\": 1.5"), 0, 4, "vantage.quorum",
         ": 1.5 is not an integer (allowed: an integer in [1, 64]); it counts vantage points"},
        {SEC("vantage", "\"quorum\": \"two\""), 0, 4, "vantage.quorum",
         ": expected an integer in [1, 64], got \"two\" (a string); it counts vantage points"},
        {SEC("vantage", "\"quorum\": null"), 0, 4, "vantage.quorum", "got null; it counts"},
        /* window */
        {TOP("\"window\": \"30d\""), 0, 3, "window",
         ": expected an object, got \"30d\" (a string)"},
        {SEC("window", "\"days\": 30"), 0, 4, "window.days",
         ": unknown key (allowed: rolling_days, min_coverage)"},
        {SEC("window", "\"rolling_days\": 0"), 0, 4, "window.rolling_days",
         ": 0 is not in [1, 366]"},
        {SEC("window", "\"rolling_days\": 367"), 0, 4, "window.rolling_days",
         ": 367 is not in [1, 366]"},
        {SEC("window", "\"rolling_days\": 1.5"), 0, 4, "window.rolling_days",
         ": 1.5 is not an integer"},
        {SEC("window", "\"min_coverage\": 1.01"), 0, 4, "window.min_coverage",
         ": 1.01 is not in [0, 1]"},
        {SEC("window", "\"min_coverage\": -0.5"), 0, 4, "window.min_coverage",
         ": -0.5 is not in [0, 1]"},
        {SEC("window", "\"min_coverage\": \"x\""), 0, 4, "window.min_coverage",
         ": expected a number in [0, 1], got \"x\" (a string)"},
        /* flagging */
        {SEC("flagging", "\"margin\": 0.1"), 0, 4, "flagging.margin",
         ": unknown key (allowed: restore_margin, probation_days)"},
        {SEC("flagging", "\"restore_margin\": 2"), 0, 4, "flagging.restore_margin",
         ": 2 is not in [0, 1]"},
        {SEC("flagging", "\"restore_margin\": -0.001"), 0, 4, "flagging.restore_margin",
         ": -0.001 is not in [0, 1]"},
        {SEC("flagging", "\"probation_days\": 367"), 0, 4, "flagging.probation_days",
         ": 367 is not in [0, 366]"},
        {SEC("flagging", "\"probation_days\": -1"), 0, 4, "flagging.probation_days",
         ": -1 is not in [0, 366]"},
        {SEC("flagging", "\"probation_days\": 7.25"), 0, 4, "flagging.probation_days",
         ": 7.25 is not an integer"},
        /* maintenance */
        {SEC("maintenance", "\"notice_h\": 24"), 0, 4, "maintenance.notice_h",
         ": unknown key (allowed: min_notice_h, max_h_per_month)"},
        {SEC("maintenance", "\"min_notice_h\": 8761"), 0, 4, "maintenance.min_notice_h",
         ": 8761 is not in [0, 8760]"},
        {SEC("maintenance", "\"min_notice_h\": -1"), 0, 4, "maintenance.min_notice_h",
         ": -1 is not in [0, 8760]"},
        {SEC("maintenance", "\"max_h_per_month\": 745"), 0, 4, "maintenance.max_h_per_month",
         ": 745 is not in [0, 744]"},
        {SEC("maintenance", "\"max_h_per_month\": 1.5"), 0, 4, "maintenance.max_h_per_month",
         ": 1.5 is not an integer"},
        /* service_window */
        {TOP("\"service_window\": []"), 0, 3, "service_window",
         ": expected an object, got an array"},
        {SEC("service_window", "\"daily\": []"), 0, 4, "service_window.daily",
         ": unknown key (allowed: weekly)"},
        {SEC("service_window", "\"weekly\": {}"), 0, 4, "service_window.weekly",
         ": expected an array of {\"days\", \"from\", \"to\"} objects, got an object"},
        {V1 "  \"service_window\": {\n    \"weekly\": [\n      \"mon-fri\"\n    ]\n  }" END, 0, 5,
         "service_window.weekly[0]", ": expected an object, got \"mon-fri\" (a string)"},
        {GOOD_SPAN("\"from\": \"06:00\", \"to\": \"22:00\", \"tz\": \"UTC\""), 0, 5,
         "service_window.weekly[0].tz", ": unknown key (allowed: days, from, to)"},
        {SPAN("\"from\": \"06:00\", \"to\": \"22:00\""), 0, 5, "service_window.weekly[0].days",
         ": missing (required: a string of days like \"mon-fri\")"},
        {GOOD_SPAN("\"to\": \"22:00\""), 0, 5, "service_window.weekly[0].from", ": missing"},
        {GOOD_SPAN("\"from\": \"06:00\""), 0, 5, "service_window.weekly[0].to", ": missing"},
        {SPAN("\"days\": 5, \"from\": \"06:00\", \"to\": \"22:00\""), 0, 5,
         "service_window.weekly[0].days", ": expected a string of days like \"mon-fri\", got 5"},
        {SPAN("\"days\": \"monday\", \"from\": \"06:00\", \"to\": \"22:00\""), 0, 5,
         "service_window.weekly[0].days", ": \"monday\" is not a list of days"},
        {SPAN("\"days\": \"fri-mon\", \"from\": \"06:00\", \"to\": \"22:00\""), 0, 5,
         "service_window.weekly[0].days", ": \"fri-mon\" is not a list of days"},
        {SPAN("\"days\": \"mon,\", \"from\": \"06:00\", \"to\": \"22:00\""), 0, 5,
         "service_window.weekly[0].days", ": \"mon,\" is not a list of days"},
        {SPAN("\"days\": \"\", \"from\": \"06:00\", \"to\": \"22:00\""), 0, 5,
         "service_window.weekly[0].days", ": \"\" is not a list of days"},
        {SPAN("\"days\": \"Mon\", \"from\": \"06:00\", \"to\": \"22:00\""), 0, 5,
         "service_window.weekly[0].days", ": \"Mon\" is not"},
        {SPAN("\"days\": \"mon, tue\", \"from\": \"06:00\", \"to\": \"22:00\""), 0, 5,
         "service_window.weekly[0].days", ": \"mon, tue\" is not"},
        {SPAN("\"days\": \"mon-\", \"from\": \"06:00\", \"to\": \"22:00\""), 0, 5,
         "service_window.weekly[0].days", ": \"mon-\" is not"},
        {SPAN("\"days\": \"mon,,tue\", \"from\": \"06:00\", \"to\": \"22:00\""), 0, 5,
         "service_window.weekly[0].days", ": \"mon,,tue\" is not"},
        {SPAN("\"days\": \"montue\", \"from\": \"06:00\", \"to\": \"22:00\""), 0, 5,
         "service_window.weekly[0].days", ": \"montue\" is not"},
        {GOOD_SPAN("\"from\": \"6:00\", \"to\": \"22:00\""), 0, 5, "service_window.weekly[0].from",
         ": \"6:00\" is not a time (allowed: \"00:00\" to \"23:59\")"},
        {GOOD_SPAN("\"from\": \"24:00\", \"to\": \"24:00\""), 0, 5, "service_window.weekly[0].from",
         ": \"24:00\" is not a time"},
        {GOOD_SPAN("\"from\": \"23:60\", \"to\": \"24:00\""), 0, 5, "service_window.weekly[0].from",
         ": \"23:60\" is not a time"},
        {GOOD_SPAN("\"from\": \"06:00:00\", \"to\": \"22:00\""), 0, 5,
         "service_window.weekly[0].from", ": \"06:00:00\" is not a time"},
        {GOOD_SPAN("\"from\": 600, \"to\": \"22:00\""), 0, 5, "service_window.weekly[0].from",
         ": expected a string \"HH:MM\", got 600"},
        {GOOD_SPAN("\"from\": \"06:00\", \"to\": \"24:01\""), 0, 5, "service_window.weekly[0].to",
         ": \"24:01\" is not a time (allowed: \"00:00\" to \"24:00\")"},
        {GOOD_SPAN("\"from\": \"06:00\", \"to\": \"25:00\""), 0, 5, "service_window.weekly[0].to",
         ": \"25:00\" is not a time"},
        {GOOD_SPAN("\"from\": \"22:00\", \"to\": \"06:00\""), 0, 5, "service_window.weekly[0].to",
         ": \"06:00\" is not after from \"22:00\""},
        {GOOD_SPAN("\"from\": \"06:00\", \"to\": \"06:00\""), 0, 5, "service_window.weekly[0].to",
         ": \"06:00\" is not after from \"06:00\""},
        {V1 "  \"service_window\": {\n    \"weekly\": [\n"
            "      { \"days\": \"mon-fri\", \"from\": \"06:00\", \"to\": \"22:00\" },\n"
            "      {\n        \"days\": \"sat\",\n        \"from\": \"08:00\",\n"
            "        \"to\": \"07:00\"\n      }\n    ]\n  }" END,
         0, 9, "service_window.weekly[1].to", ": \"07:00\" is not after from \"08:00\""},
        /* blindness */
        {TOP("\"blindness\": 0.5"), 0, 3, "blindness", ": expected an object, got 0.5"},
        {SEC("blindness", "\"canary\": []"), 0, 4, "blindness.canary",
         ": unknown key (allowed: fraction, min_runners, canaries)"},
        {SEC("blindness", "\"fraction\": 0"), 0, 4, "blindness.fraction", ": 0 is not in (0, 1]"},
        {SEC("blindness", "\"fraction\": -0.5"), 0, 4, "blindness.fraction",
         ": -0.5 is not in (0, 1]"},
        {SEC("blindness", "\"fraction\": 1.5"), 0, 4, "blindness.fraction",
         ": 1.5 is not in (0, 1]"},
        {SEC("blindness", "\"fraction\": 4e-7"), 0, 4, "blindness.fraction",
         ": 4e-7 rounds to 0 ppm"},
        {SEC("blindness", "\"fraction\": \"half\""), 0, 4, "blindness.fraction",
         ": expected a number in (0, 1], got \"half\" (a string)"},
        /* pool */
        {TOP("\"pool\": 5"), 0, 3, "pool", ": expected an object, got 5"},
        {SEC("pool", "\"min\": 5"), 0, 4, "pool.min", ": unknown key (allowed: min_runners)"},
        {SEC("pool", "\"min_runners\": -1"), 0, 4, "pool.min_runners",
         ": -1 is not in [0, 100000]"},
        {SEC("pool", "\"min_runners\": 100001"), 0, 4, "pool.min_runners",
         ": 100001 is not in [0, 100000]"},
        {SEC("pool", "\"min_runners\": 2.5"), 0, 4, "pool.min_runners", "is not an integer"},
        {SEC("pool", "\"min_runners\": \"5\""), 0, 4, "pool.min_runners",
         ": expected an integer in [0, 100000], got \"5\" (a string)"},
        {SEC("blindness", "\"min_runners\": 0"), 0, 4, "blindness.min_runners",
         ": 0 is not in [1, 1000000]"},
        {SEC("blindness", "\"min_runners\": 1000001"), 0, 4, "blindness.min_runners",
         ": 1000001 is not in [1, 1000000]"},
        {SEC("blindness", "\"min_runners\": 2.5"), 0, 4, "blindness.min_runners",
         ": 2.5 is not an integer"},
        {SEC("blindness", "\"canaries\": \"https://example.org/\""), 0, 4, "blindness.canaries",
         ": expected an array of http(s) URL strings, got \"https://example.org/\" (a string)"},
        {CANARIES("42"), 0, 5, "blindness.canaries[0]", ": 42 is not a string"},
        /* What is wrong with a canary URL is the caller's hook's to say
         * (test_canary_hook below; the URL rows are in
         * tests/monitor/core/test_url.c, with url_check() as the hook). */
        /* the whole file */
        {"", 0, 1, "empty (a JSON object is expected)", ""},
        {" \n\n \t\n", 0, 1, "empty (a JSON object is expected)", ""},
        {"[]", 0, 1, "top level", ": expected a JSON object, found '['"},
        {"\n1\n", 0, 2, "top level", ": expected a JSON object, found '1'"},
        {"\"version\"", 0, 1, "top level", ": expected a JSON object"},
        {"null", 0, 1, "top level", ": expected a JSON object"},
        /* syntax */
        {"{\n  \"version\": 1\n  \"uptime_floor\": 0.9\n}\n", 0, 3, "syntax error",
         ": expected ',' or '}' after a member, found '\"'"},
        {"{\n  \"version\": 1,\n}\n", 0, 2, "syntax error", ": trailing comma"},
        {TOP("\"blindness\": { \"canaries\": [ \"http://x/\", ] }"), 0, 3, "syntax error",
         ": trailing comma"},
        {"{\n  \"version\": 1,\n  \"uptime_floor\n}\n", 0, 3, "syntax error",
         ": control character in a string, found byte 0x0a"},
        {"{\n  \"version\": 1,\n  \"up", 0, 3, "syntax error", ": string not terminated"},
        {"{\n  \"version\": tru\n}\n", 0, 2, "syntax error", ": expected a value, found 't'"},
        {"{\n  \"version\": truex\n}\n", 0, 2, "syntax error", ": expected a value"},
        {"{\n  \"version\" 1\n}\n", 0, 2, "syntax error",
         ": expected ':' after the key, found '1'"},
        {"{\n  \"version\": 1\n", 0, 3, "syntax error",
         ": expected ',' or '}' after a member, found the end of the file"},
        {"{\n  \"version\": 1\n}\nx\n", 0, 4, "syntax error",
         ": text after the closing '}', found 'x'"},
        {"{\"version\": 1}{}", 0, 1, "syntax error", ": text after the closing '}'"},
        {"{\n  'version': 1\n}\n", 0, 2, "syntax error",
         ": expected a key in double quotes, found '''"},
        {"{\n  // comment\n  \"version\": 1\n}\n", 0, 2, "syntax error",
         ": expected a key in double quotes, found '/'"},
        {"{\n  version: 1\n}\n", 0, 2, "syntax error", ": expected a key in double quotes"},
        {TOP("\"uptime_floor\": 00.5"), 0, 3, "syntax error", ": malformed number"},
        {TOP("\"uptime_floor\": 1."), 0, 3, "syntax error", ": malformed number"},
        {TOP("\"uptime_floor\": .5"), 0, 3, "syntax error", ": expected a value, found '.'"},
        {TOP("\"uptime_floor\": +1"), 0, 3, "syntax error", ": expected a value, found '+'"},
        {TOP("\"uptime_floor\": -"), 0, 3, "syntax error", ": malformed number"},
        {TOP("\"uptime_floor\": 1e"), 0, 3, "syntax error", ": malformed number"},
        {TOP("\"uptime_floor\": 0x1"), 0, 3, "syntax error", ": malformed number"},
        {TOP("\"uptime_floor\": NaN"), 0, 3, "syntax error", ": expected a value, found 'N'"},
        {TOP("\"uptime_floor\": Infinity"), 0, 3, "syntax error", ": expected a value"},
        {TOP("\"uptime_floor\": 0."
             "00000000000000000000000000000000000000000000000000000000000000001"),
         0, 3, "number longer than 63 characters", ""},
        {TOP("\"a\\x\": 1"), 0, 3, "syntax error", ": bad escape in a string"},
        {TOP("\"a\\u12\": 1"), 0, 3, "syntax error", ": \\u needs four hex digits"},
        {TOP("\"ver\\u0000sion\": 1"), 0, 3, "\\u0000 is not allowed", ""},
        {TOP("\"a\\ud800\": 1"), 0, 3, "syntax error", ": unpaired UTF-16 surrogate"},
        {TOP("\"a\\udc00\": 1"), 0, 3, "syntax error", ": unpaired UTF-16 surrogate"},
        {TOP("\"a\\ud800\\u0041\": 1"), 0, 3, "syntax error", ": unpaired UTF-16 surrogate"},
        {TOP("\"a\tb\": 1"), 0, 3, "syntax error",
         ": control character in a string, found byte 0x09"},
        {TOP("\"x\": [1,\n    2 3]"), 0, 4, "syntax error",
         ": expected ',' or ']' after an element"},
        {"{\n  \"version\": 1,\n\x01  \"push\": {}\n}\n", 0, 3, "syntax error",
         ": expected a key in double quotes, found byte 0x01"},
        /* bytes */
        {RAW("{\n  \"version\": 1,\n  \"x\0\": 1\n}\n"), 3, "NUL byte", ""},
        {RAW("\0{\"version\": 1}"), 1, "NUL byte", ""},
        {TOP("\"\xff\": 1"), 0, 3, "invalid UTF-8 at byte 0xff", ""},
        {TOP("\"\xc0\xaf\": 1"), 0, 3, "invalid UTF-8 at byte 0xc0", ""},
        {TOP("\"\xed\xa0\x80\": 1"), 0, 3, "invalid UTF-8 at byte 0xed", ""},
        {TOP("\"\xf4\x90\x80\x80\": 1"), 0, 3, "invalid UTF-8 at byte 0xf4", ""},
        {TOP("\"\xf8\x88\x80\x80\x80\": 1"), 0, 3, "invalid UTF-8 at byte 0xf8", ""},
        {TOP("\"\x80\": 1"), 0, 3, "invalid UTF-8 at byte 0x80", ""},
        {TOP("\"\xe2\x82\": 1"), 0, 3, "invalid UTF-8 at byte 0xe2", ""},
        {"{\n  \"version\": 1,\n  \"x\": \"\xe2\x82", 0, 3, "invalid UTF-8 at byte 0xe2", ""},
        {"\n\n\n\n\xef\xbb", 0, 5, "invalid UTF-8 at byte 0xef", ""},
};

static void test_bad_documents(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_docs) / sizeof(bad_docs[0]); i++) {
		const struct bad *b = &bad_docs[i];
		size_t len = b->len ? b->len : strlen(b->doc);
		char err[ERRLEN], want[256];
		struct rw_policy p;
		int rc = parse_n(&p, b->doc, len, err);

		snprintf(want, sizeof(want), "policy.json:%d: %s", b->line, b->field);
		if (rc != RW_EINVAL || strncmp(err, want, strlen(want)) != 0 ||
		    !strstr(err + strlen(want), b->says) || strchr(err, '\n') || !utf8_ok(err) ||
		    !is_defaults(&p))
			fail_msg("case %zu: rc %d\n  got:  %s\n  want: %s%s\n--- document:\n%.*s",
			         i, rc, err, want, b->says, (int)len, b->doc);
		policy_deinit(&p);
	}
}

/* Whole messages, for a few representative cases. */
static void test_exact_messages(void **state)
{
	static const struct {
		const char *doc, *msg;
	} cases[] = {
	        {TOP("\"uptime_floor\": 1.5"), "policy.json:3: uptime_floor: 1.5 is not in [0, 1]"},
	        {SEC("probe", "\"intervall_s\": 60"),
	         "policy.json:4: probe.intervall_s: unknown key (allowed: interval_s, timeout_ms, "
	         "failures_to_down, successes_to_up)"},
	        {SEC("probe", "\"timeout_ms\": 99"),
	         "policy.json:4: probe.timeout_ms: 99 is not in [100, 60000]"},
	        {SEC("probe", "\"failures_to_down\": 1.5"),
	         "policy.json:4: probe.failures_to_down: 1.5 is not an integer (allowed: an "
	         "integer "
	         "in [1, 100])"},
	        {SEC("probe", "\"interval_s\": 1e300"),
	         "policy.json:4: probe.interval_s: 1e300 is not in [1, 86400]"},
	        {"{\n  \"uptime_floor\": 0.9\n}\n",
	         "policy.json:1: version: missing (required: an integer >= 1)"},
	        {GOOD_SPAN("\"from\": \"22:00\", \"to\": \"06:00\""),
	         "policy.json:5: service_window.weekly[0].to: \"06:00\" is not after from "
	         "\"22:00\" "
	         "(split a span that crosses midnight in two, ending at \"24:00\")"},
	        {"{\n  \"version\": 1\n  \"uptime_floor\": 0.9\n}\n",
	         "policy.json:3: syntax error: expected ',' or '}' after a member, found '\"'"},
	};
	struct rw_policy p;
	char err[ERRLEN];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(&p, cases[i].doc, err), RW_EINVAL);
		assert_string_equal(err, cases[i].msg);
	}
}

/* 32 levels of containers are allowed (and reach the key check); 33 are not. */
static void test_nesting_limit(void **state)
{
	char doc[512], err[ERRLEN];
	struct rw_policy p;
	size_t n = 0;

	(void)state;
	/* Level 1 is the top-level object, then "x": 31 arrays, one per line. */
	n += (size_t)snprintf(doc + n, sizeof(doc) - n, "{\n  \"version\": 1,\n  \"x\":\n");
	for (int i = 0; i < 31; i++)
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "[\n");
	for (int i = 0; i < 31; i++)
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "]");
	snprintf(doc + n, sizeof(doc) - n, "\n}\n");
	assert_int_equal(parse(&p, doc, err), RW_EINVAL);
	assert_string_equal(err,
	                    "policy.json:3: x: unknown key (allowed: version, uptime_floor, "
	                    "tiers, targets, probe, push, vantage, window, flagging, maintenance, "
	                    "service_window, blindness, pool, github)");

	/* One more: the 33rd level opens on line 4 + 31 = 35. */
	n = 0;
	n += (size_t)snprintf(doc + n, sizeof(doc) - n, "{\n  \"version\": 1,\n  \"x\":\n");
	for (int i = 0; i < 32; i++)
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "[\n");
	for (int i = 0; i < 32; i++)
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "]");
	snprintf(doc + n, sizeof(doc) - n, "\n}\n");
	assert_int_equal(parse(&p, doc, err), RW_EINVAL);
	assert_string_equal(err, "policy.json:35: nesting deeper than 32 levels");
	assert_true(is_defaults(&p));

	/* Far deeper than cJSON's own limit of 1000: still our message. */
	{
		size_t big = 5000;
		char *deep = malloc(2 * big + 16);
		assert_non_null(deep);
		memset(deep, '[', big);
		memset(deep + big, ']', big);
		deep[0] = '{';
		memcpy(deep + 1, "\"a\":", 4);
		deep[2 * big - 1] = '}';
		assert_int_equal(parse_n(&p, deep, 2 * big, err), RW_EINVAL);
		assert_string_equal(err, "policy.json:1: nesting deeper than 32 levels");
		free(deep);
	}
}

/* ---- the canary URL hook --------------------------------------------------- */

/* A stand-in for url_check(): records what it is asked, refuses "bad:…",
 * runs out of memory on "oom:…". */
static struct {
	char seen[8][64];
	int n;
} hook_log;

static int test_hook(const char *url, char *why, size_t whylen)
{
	if (hook_log.n < 8)
		snprintf(hook_log.seen[hook_log.n], sizeof(hook_log.seen[0]), "%s", url);
	hook_log.n++;
	if (strncmp(url, "oom:", 4) == 0)
		return RW_ENOMEM;
	if (strncmp(url, "bad:", 4) == 0) {
		snprintf(why, whylen, "refused by the test hook");
		return RW_EINVAL;
	}
	return 0;
}

static const struct policy_parse_opts hook_opts = {.check_url = test_hook};

static int parse_hooked(struct rw_policy *p, const char *doc, const struct policy_parse_opts *o,
                        char *err)
{
	memset(&hook_log, 0, sizeof(hook_log));
	memset(p, 0x5a, sizeof(*p));
	return policy_parse(p, doc, strlen(doc), "policy.json", o, err, ERRLEN);
}

static void test_canary_hook(void **state)
{
	static const char three[] =
	        CANARIES("\"http://a.example/\",\n      \"https://b.example/\",\n      \"c\"");
	static const char third_bad[] =
	        CANARIES("\"http://a.example/\",\n      \"https://b.example/\",\n      \"bad:c\"");
	struct rw_policy p;
	char err[ERRLEN];

	(void)state;
	/* Every canary string goes to the hook, in order, exactly as written. */
	assert_int_equal(parse_hooked(&p, three, &hook_opts, err), 0);
	assert_int_equal(hook_log.n, 3);
	assert_string_equal(hook_log.seen[0], "http://a.example/");
	assert_string_equal(hook_log.seen[1], "https://b.example/");
	assert_string_equal(hook_log.seen[2], "c");
	assert_int_equal(p.blindness.n_canaries, 3);
	policy_deinit(&p);

	/* Its refusal is reported at the line and path of the element, with the
	 * URL quoted, and nothing of the policy is kept. */
	assert_int_equal(parse_hooked(&p, third_bad, &hook_opts, err), RW_EINVAL);
	assert_string_equal(err, "policy.json:7: blindness.canaries[2]: \"bad:c\": refused by the "
	                         "test hook");
	assert_true(is_defaults(&p));

	/* Its running out of memory is the parser's RW_ENOMEM. */
	assert_int_equal(parse_hooked(&p, CANARIES("\"oom:x\""), &hook_opts, err), RW_ENOMEM);
	assert_true(is_defaults(&p));

	/* A canary that is not a string never reaches the hook. */
	assert_int_equal(parse_hooked(&p, CANARIES("42"), &hook_opts, err), RW_EINVAL);
	assert_int_equal(hook_log.n, 0);
	assert_non_null(strstr(err, "blindness.canaries[0]: 42 is not a string"));

	/* No hook (NULL opts, or opts without one): any string is taken as is. */
	assert_int_equal(parse_hooked(&p, third_bad, NULL, err), 0);
	assert_int_equal(p.blindness.n_canaries, 3);
	assert_string_equal(p.blindness.canaries[2], "bad:c");
	policy_deinit(&p);
	assert_int_equal(
	        parse_hooked(&p, CANARIES("\"ftp://x\""), &(struct policy_parse_opts){0}, err), 0);
	assert_string_equal(p.blindness.canaries[0], "ftp://x");
	policy_deinit(&p);
}

/* ---- good documents ------------------------------------------------------ */

static void test_design_example(void **state)
{
	struct rw_policy p;

	(void)state;
	parse_ok(&p, design_example);
	assert_int_equal(p.version, 3);
	assert_true(p.uptime_floor == 0.99);
	assert_int_equal(p.floor_ppm, 990000);
	assert_int_equal(p.n_tiers, 2);
	assert_int_equal(p.tiers[0].tier, 2);
	assert_int_equal(p.tiers[0].floor_ppm, 990000);
	assert_int_equal(p.tiers[1].tier, 3);
	assert_true(p.tiers[1].uptime_floor == 0.95);
	assert_int_equal(p.tiers[1].floor_ppm, 950000);
	assert_int_equal(p.n_targets, 2);
	/* kept sorted by triple */
	assert_string_equal(p.targets[0].triple, "powerpc64-unknown-linux-musl");
	assert_int_equal(p.targets[0].tier, 3);
	assert_string_equal(p.targets[1].triple, "riscv64gc-unknown-linux-gnu");
	assert_int_equal(p.targets[1].tier, 2);
	assert_int_equal(p.probe.interval_s, 60);
	assert_int_equal(p.probe.timeout_ms, 10000);
	assert_int_equal(p.probe.failures_to_down, 3);
	assert_int_equal(p.probe.successes_to_up, 1);
	assert_int_equal(p.push.grace_s, 120);
	assert_int_equal(p.vantage.quorum, 1);
	assert_int_equal(p.window.rolling_days, 30);
	assert_int_equal(p.window.min_coverage_ppm, 900000);
	assert_true(p.flagging.restore_margin == 0.005);
	assert_int_equal(p.flagging.restore_margin_ppm, 5000);
	assert_int_equal(p.flagging.probation_days, 7);
	assert_int_equal(p.maintenance.min_notice_h, 24);
	assert_int_equal(p.maintenance.max_h_per_month, 8);
	assert_int_equal(p.n_service_spans, 1);
	assert_int_equal(p.service_spans[0].days, 0x1f);
	assert_int_equal(p.service_spans[0].from_min, 6 * 60);
	assert_int_equal(p.service_spans[0].to_min, 22 * 60);
	assert_int_equal(p.blindness.fraction_ppm, 500000);
	assert_int_equal(p.blindness.min_runners, 4);
	assert_int_equal(p.blindness.n_canaries, 1);
	assert_string_equal(p.blindness.canaries[0], "https://example.org/");
	assert_int_equal(policy_target_tier(&p, "riscv64gc-unknown-linux-gnu"), 2);
	assert_int_equal(policy_target_tier(&p, "s390x-unknown-linux-gnu"), 0);
	policy_deinit(&p);
	assert_true(is_defaults(&p));
}

static void test_defaults_when_absent(void **state)
{
	static const char *const docs[] = {
	        "{\"version\": 1}",
	        ("{\"version\": 1, \"tiers\": {}, \"targets\": {}, \"probe\": {}, \"push\": {}, "
	         "\"vantage\": {}, \"window\": {}, \"flagging\": {}, \"maintenance\": {}, "
	         "\"service_window\": {}, \"blindness\": {}}"),
	        ("{\"version\": 1, \"service_window\": {\"weekly\": []}, "
	         "\"blindness\": {\"canaries\": []}}"),
	        "\xef\xbb\xbf{\"version\": 1}\n",
	        " \r\n\t{\"version\":1}\r\n",
	};
	struct rw_policy p;

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		parse_ok(&p, docs[i]);
		if (!is_defaults(&p))
			fail_msg("case %zu: not the defaults", i);
		policy_deinit(&p);
	}
	parse_ok(&p, "{\"version\": 7}");
	assert_int_equal(p.version, 7);
	assert_true(p.uptime_floor == 0.99);
	assert_int_equal(p.probe.timeout_ms, 10000);
	assert_int_equal(p.blindness.min_runners, 4);
	assert_int_equal(p.vantage.quorum, 1);
	policy_deinit(&p);
}

struct good {
	const char *doc;
	size_t off; /* of a uint32_t field */
	uint32_t want;
};

#define U32(f) offsetof(struct rw_policy, f)

static const struct good good_docs[] = {
        {"{\"version\": 1, \"probe\": {\"interval_s\": 1}}", U32(probe.interval_s), 1},
        {"{\"version\": 1, \"probe\": {\"interval_s\": 86400}}", U32(probe.interval_s), 86400},
        {"{\"version\": 1, \"probe\": {\"interval_s\": 6e1}}", U32(probe.interval_s), 60},
        {"{\"version\": 1, \"probe\": {\"interval_s\": 60.0}}", U32(probe.interval_s), 60},
        {"{\"version\": 1, \"probe\": {\"interval_s\": 5}}", U32(probe.timeout_ms), 5000},
        {"{\"version\": 1, \"probe\": {\"interval_s\": 1}}", U32(probe.timeout_ms), 1000},
        {"{\"version\": 1, \"probe\": {\"interval_s\": 5, \"timeout_ms\": 100}}",
         U32(probe.timeout_ms), 100},
        {"{\"version\": 1, \"probe\": {\"timeout_ms\": 60000}}", U32(probe.timeout_ms), 60000},
        {"{\"version\": 1, \"probe\": {\"interval_s\": 86400, \"timeout_ms\": 86400000}}",
         U32(probe.timeout_ms), 86400000},
        {"{\"version\": 1, \"probe\": {\"failures_to_down\": 100}}", U32(probe.failures_to_down),
         100},
        {"{\"version\": 1, \"probe\": {\"successes_to_up\": 100}}", U32(probe.successes_to_up),
         100},
        {"{\"version\": 1, \"push\": {\"grace_s\": 0}}", U32(push.grace_s), 0},
        {"{\"version\": 1, \"push\": {\"grace_s\": -0}}", U32(push.grace_s), 0},
        {"{\"version\": 1, \"push\": {\"grace_s\": 86400}}", U32(push.grace_s), 86400},
        {"{\"version\": 1, \"vantage\": {\"quorum\": 1}}", U32(vantage.quorum), 1},
        {"{\"version\": 1, \"vantage\": {\"quorum\": 2}}", U32(vantage.quorum), 2},
        {"{\"version\": 1, \"vantage\": {\"quorum\": 2.0}}", U32(vantage.quorum), 2},
        {"{\"version\": 1, \"vantage\": {\"quorum\": 64}}", U32(vantage.quorum), 64},
        {"{\"version\": 1, \"vantage\": {}}", U32(vantage.quorum), 1},
        {"{\"version\": 1, \"window\": {\"rolling_days\": 366}}", U32(window.rolling_days), 366},
        {"{\"version\": 1, \"window\": {\"min_coverage\": 0}}", U32(window.min_coverage_ppm), 0},
        {"{\"version\": 1, \"window\": {\"min_coverage\": 1}}", U32(window.min_coverage_ppm),
         1000000},
        {"{\"version\": 1, \"flagging\": {\"probation_days\": 0}}", U32(flagging.probation_days),
         0},
        {"{\"version\": 1, \"flagging\": {\"restore_margin\": 0.9999994}}",
         U32(flagging.restore_margin_ppm), 999999},
        {"{\"version\": 1, \"flagging\": {\"restore_margin\": 0.9999995}}",
         U32(flagging.restore_margin_ppm), 1000000},
        {"{\"version\": 1, \"flagging\": {\"restore_margin\": 1e-7}}",
         U32(flagging.restore_margin_ppm), 0},
        {"{\"version\": 1, \"maintenance\": {\"min_notice_h\": 8760}}",
         U32(maintenance.min_notice_h), 8760},
        {"{\"version\": 1, \"maintenance\": {\"max_h_per_month\": 744}}",
         U32(maintenance.max_h_per_month), 744},
        {"{\"version\": 1, \"maintenance\": {\"max_h_per_month\": 0}}",
         U32(maintenance.max_h_per_month), 0},
        {"{\"version\": 1, \"uptime_floor\": 0}", U32(floor_ppm), 0},
        {"{\"version\": 1, \"uptime_floor\": 1}", U32(floor_ppm), 1000000},
        {"{\"version\": 1, \"uptime_floor\": 0.123456}", U32(floor_ppm), 123456},
        {"{\"version\": 1, \"blindness\": {\"fraction\": 1}}", U32(blindness.fraction_ppm),
         1000000},
        {"{\"version\": 1, \"blindness\": {\"fraction\": 5e-7}}", U32(blindness.fraction_ppm), 1},
        {"{\"version\": 1, \"blindness\": {\"min_runners\": 1}}", U32(blindness.min_runners), 1},
        {"{\"version\": 1, \"blindness\": {\"min_runners\": 1000000}}", U32(blindness.min_runners),
         1000000},
        {"{\"\\u0076ersion\": 1, \"push\": {\"grace_s\": 5}}", U32(push.grace_s), 5},
};

static void test_good_values(void **state)
{
	struct rw_policy p;

	(void)state;
	for (size_t i = 0; i < sizeof(good_docs) / sizeof(good_docs[0]); i++) {
		uint32_t got;
		parse_ok(&p, good_docs[i].doc);
		memcpy(&got, (const char *)&p + good_docs[i].off, sizeof(got));
		if (got != good_docs[i].want)
			fail_msg("case %zu: got %u, want %u\n%s", i, got, good_docs[i].want,
			         good_docs[i].doc);
		policy_deinit(&p);
	}
	parse_ok(&p, "{\"version\": 2147483647}");
	assert_int_equal(p.version, 2147483647);
	policy_deinit(&p);
}

static void test_service_window_grammar(void **state)
{
	static const struct {
		const char *days, *from, *to;
		uint8_t mask;
		uint16_t from_min, to_min;
	} cases[] = {
	        {"mon", "00:00", "24:00", 0x01, 0, 1440},
	        {"mon-fri", "06:00", "22:00", 0x1f, 360, 1320},
	        {"sat,sun", "23:59", "24:00", 0x60, 1439, 1440},
	        {"mon-wed,fri", "09:30", "17:45", 0x17, 570, 1065},
	        {"mon-sun", "00:00", "00:01", 0x7f, 0, 1},
	        {"sun", "12:00", "13:00", 0x40, 720, 780},
	        {"fri,mon", "08:00", "09:00", 0x11, 480, 540},
	        {"tue-tue", "08:00", "09:00", 0x02, 480, 540},
	        {"mon,mon", "08:00", "09:00", 0x01, 480, 540},
	        {"mon-tue,thu-sun", "08:00", "09:00", 0x7b, 480, 540},
	};
	char doc[256];
	struct rw_policy p;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(doc, sizeof(doc),
		         "{\"version\": 1, \"service_window\": {\"weekly\": [{\"days\": \"%s\", "
		         "\"from\": \"%s\", \"to\": \"%s\"}]}}",
		         cases[i].days, cases[i].from, cases[i].to);
		parse_ok(&p, doc);
		assert_int_equal(p.n_service_spans, 1);
		if (p.service_spans[0].days != cases[i].mask ||
		    p.service_spans[0].from_min != cases[i].from_min ||
		    p.service_spans[0].to_min != cases[i].to_min)
			fail_msg("case %zu (%s): got days 0x%x %u..%u", i, cases[i].days,
			         p.service_spans[0].days, p.service_spans[0].from_min,
			         p.service_spans[0].to_min);
		policy_deinit(&p);
	}
}

/* ---- policy_to_json ------------------------------------------------------ */

static void round_trip(const char *doc)
{
	struct rw_policy a, b;
	char *ja, *jb;

	parse_ok(&a, doc);
	ja = policy_to_json(&a);
	assert_non_null(ja);
	assert_true(strlen(ja) > 2 && ja[strlen(ja) - 1] == '\n');
	parse_ok(&b, ja);
	if (!policy_equal(&a, &b))
		fail_msg("round trip changed the policy:\n%s", ja);
	jb = policy_to_json(&b);
	assert_non_null(jb);
	assert_string_equal(ja, jb);
	free(ja);
	free(jb);
	policy_deinit(&a);
	policy_deinit(&b);
}

static void test_round_trip(void **state)
{
	(void)state;
	round_trip(design_example);
	round_trip("{\"version\": 1}");
	round_trip("{\"version\": 9, \"uptime_floor\": 0.1, "
	           "\"tiers\": {\"9\": {\"uptime_floor\": 0}, \"1\": {\"uptime_floor\": 1}, "
	           "\"5\": {\"uptime_floor\": 0.3333333333333333}},"
	           "\"targets\": {\"x86_64-unknown-linux-gnu\": 1, \"aarch64-apple-darwin\": 9, "
	           "\"wasm32-wasip1\": 5},"
	           "\"probe\": {\"interval_s\": 5, \"failures_to_down\": 100},"
	           "\"window\": {\"min_coverage\": 1e-6},"
	           "\"flagging\": {\"restore_margin\": 0.9999995},"
	           "\"service_window\": {\"weekly\": ["
	           "{\"days\": \"sat,sun\", \"from\": \"00:00\", \"to\": \"24:00\"},"
	           "{\"days\": \"mon-wed,fri\", \"from\": \"09:30\", \"to\": \"17:45\"}]},"
	           "\"blindness\": {\"fraction\": 5e-7, \"min_runners\": 1000000, \"canaries\": "
	           "[\"https://a.example/\", \"HTTP://B.EXAMPLE/q?x=\\\"1\\\"&y=\\\\\"]},"
	           "\"pool\": {\"min_runners\": 5}}");
	round_trip("{\"version\": 2, \"pool\": {\"min_runners\": 100000}}");
	round_trip("{\"version\": 2, \"vantage\": {\"quorum\": 3}}");
	round_trip("{\"version\": 2, \"vantage\": {\"quorum\": 64}}");
}

static void test_to_json_quorum(void **state)
{
	struct rw_policy p;
	char *j;

	(void)state;
	parse_ok(&p, "{\"version\": 1, \"vantage\": {\"quorum\": 3}}");
	j = policy_to_json(&p);
	assert_non_null(j);
	assert_non_null(strstr(j, "\"vantage\": {\n    \"quorum\": 3\n  },\n"));
	free(j);
	policy_deinit(&p);
}

static void test_to_json_text(void **state)
{
	static const char *const order[] = {"\"version\"",
	                                    "\"uptime_floor\"",
	                                    "\"tiers\"",
	                                    "\"targets\"",
	                                    "\"probe\"",
	                                    "\"interval_s\"",
	                                    "\"timeout_ms\"",
	                                    "\"failures_to_down\"",
	                                    "\"successes_to_up\"",
	                                    "\"push\"",
	                                    "\"grace_s\"",
	                                    "\"vantage\"",
	                                    "\"quorum\"",
	                                    "\"window\"",
	                                    "\"rolling_days\"",
	                                    "\"min_coverage\"",
	                                    "\"flagging\"",
	                                    "\"restore_margin\"",
	                                    "\"probation_days\"",
	                                    "\"maintenance\"",
	                                    "\"min_notice_h\"",
	                                    "\"max_h_per_month\"",
	                                    "\"service_window\"",
	                                    "\"weekly\"",
	                                    "\"days\"",
	                                    "\"from\"",
	                                    "\"to\"",
	                                    "\"blindness\"",
	                                    "\"fraction\"",
	                                    "\"min_runners\"",
	                                    "\"canaries\"",
	                                    "\"pool\"",
	                                    "\"min_runners\""};
	struct rw_policy p;
	const char *at;
	char *j;

	(void)state;
	parse_ok(&p, design_example);
	j = policy_to_json(&p);
	assert_non_null(j);
	at = j;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const char *hit = strstr(at, order[i]);
		if (!hit)
			fail_msg("%s missing or out of order in:\n%s", order[i], j);
		at = hit;
	}
	assert_non_null(strstr(j, "{\n  \"version\": 3,\n  \"uptime_floor\": 0.99,\n"));
	assert_non_null(strstr(j, "\"days\": \"mon,tue,wed,thu,fri\""));
	assert_non_null(strstr(j, "\"from\": \"06:00\""));
	assert_non_null(strstr(j, "\"to\": \"22:00\""));
	assert_non_null(strstr(j, "\"restore_margin\": 0.005,"));
	assert_non_null(strstr(j, "\"3\": {\n      \"uptime_floor\": 0.95\n    }"));
	assert_null(strchr(j, '\t'));
	assert_string_equal(j + strlen(j) - 4, "}\n}\n");
	free(j);
	policy_deinit(&p);

	/* Defaults render every field, empty collections included. */
	policy_defaults(&p);
	j = policy_to_json(&p);
	assert_non_null(j);
	assert_non_null(strstr(j, "\"tiers\": {},\n"));
	assert_non_null(strstr(j, "\"targets\": {},\n"));
	assert_non_null(strstr(j, "\"weekly\": []\n"));
	assert_non_null(strstr(j, "\"canaries\": []\n"));
	assert_non_null(strstr(j, "\"timeout_ms\": 10000,\n"));
	assert_non_null(strstr(j, "\"vantage\": {\n    \"quorum\": 1\n  },\n"));
	assert_non_null(strstr(j, "\"pool\": {\n    \"min_runners\": 0\n  },\n"));
	assert_non_null(strstr(j, "\"github\": {\n    \"member_retention_days\": 14\n  }\n}\n"));
	free(j);
	assert_null(policy_to_json(NULL));
}

/* ---- lookups ------------------------------------------------------------- */

static void test_floor_ppm(void **state)
{
	static const char doc[] =
	        "{\"version\": 1, \"uptime_floor\": 0.98,"
	        " \"tiers\": {\"2\": {\"uptime_floor\": 0.99}, \"3\": {\"uptime_floor\": 0.95}},"
	        " \"targets\": {\"riscv64gc-unknown-linux-gnu\": 2, "
	        "\"powerpc64-unknown-linux-musl\": 3,"
	        " \"s390x-unknown-linux-gnu\": 5}}";
	const char *rv = "riscv64gc-unknown-linux-gnu", *ppc = "powerpc64-unknown-linux-musl",
	           *s390 = "s390x-unknown-linux-gnu", *none = "x86_64-unknown-linux-gnu";
	struct rw_policy p;

	(void)state;
	parse_ok(&p, doc);
	assert_int_equal(policy_floor_ppm(&p, (const char *const[]){rv}, 1), 990000);
	assert_int_equal(policy_floor_ppm(&p, (const char *const[]){ppc}, 1), 950000);
	/* a tier without its own floor, and an unmapped target: the default */
	assert_int_equal(policy_floor_ppm(&p, (const char *const[]){s390}, 1), 980000);
	assert_int_equal(policy_floor_ppm(&p, (const char *const[]){none}, 1), 980000);
	/* the strictest floor among a runner's targets */
	assert_int_equal(policy_floor_ppm(&p, (const char *const[]){ppc, rv}, 2), 990000);
	assert_int_equal(policy_floor_ppm(&p, (const char *const[]){ppc, none}, 2), 980000);
	assert_int_equal(policy_floor_ppm(&p, NULL, 0), 980000);
	assert_int_equal(policy_target_tier(&p, s390), 5);
	policy_deinit(&p);
}

/* ---- the edges of the API ------------------------------------------------ */

static void test_api_edges(void **state)
{
	static const char doc[] = "{\n  \"version\": 1,\n  \"uptime_floor\": 1.5\n}\n";
	struct rw_policy p;
	char err[ERRLEN], small[16];
	char *exact;

	(void)state;
	/* NULL file name */
	assert_int_equal(policy_parse(&p, doc, strlen(doc), NULL, NULL, err, sizeof(err)),
	                 RW_EINVAL);
	assert_string_equal(err, "policy:3: uptime_floor: 1.5 is not in [0, 1]");
	/* the exact message of DESIGN.md */
	assert_int_equal(policy_parse(&p, doc, strlen(doc), "policy.json", NULL, err, sizeof(err)),
	                 RW_EINVAL);
	assert_string_equal(err, "policy.json:3: uptime_floor: 1.5 is not in [0, 1]");
	/* a short buffer is truncated, a missing one is allowed */
	memset(small, 'X', sizeof(small));
	assert_int_equal(
	        policy_parse(&p, doc, strlen(doc), "policy.json", NULL, small, sizeof(small)),
	        RW_EINVAL);
	assert_string_equal(small, "policy.json:3: ");
	assert_int_equal(policy_parse(&p, doc, strlen(doc), "policy.json", NULL, NULL, 0),
	                 RW_EINVAL);
	assert_int_equal(policy_parse(&p, NULL, 0, "policy.json", NULL, err, sizeof(err)),
	                 RW_EINVAL);
	assert_string_equal(err, "policy.json:1: empty (a JSON object is expected)");
	/* control bytes in a file name do not break the one line */
	assert_int_equal(policy_parse(&p, doc, strlen(doc), "a\nb", NULL, err, sizeof(err)),
	                 RW_EINVAL);
	assert_string_equal(err, "a?b:3: uptime_floor: 1.5 is not in [0, 1]");
	/* the text need not be NUL-terminated: only len bytes are read (ASan checks) */
	exact = malloc(sizeof(design_example) - 1);
	assert_non_null(exact);
	memcpy(exact, design_example, sizeof(design_example) - 1);
	assert_int_equal(policy_parse(&p, exact, sizeof(design_example) - 1, "policy.json", NULL,
	                              err, sizeof(err)),
	                 0);
	assert_int_equal(p.version, 3);
	policy_deinit(&p);
	memcpy(exact, "{\"version\": 2}", 14);
	assert_int_equal(policy_parse(&p, exact, 14, "policy.json", NULL, err, sizeof(err)), 0);
	assert_int_equal(p.version, 2);
	policy_deinit(&p);
	free(exact);
	policy_deinit(NULL);
}

/* ---- allocation failure inside cJSON -------------------------------------- */

static long alloc_budget = -1; /* -1: unlimited */
static long alloc_count;

static void *limited_malloc(size_t n)
{
	alloc_count++;
	if (alloc_budget >= 0 && alloc_count > alloc_budget)
		return NULL;
	return malloc(n);
}

static void test_cjson_out_of_memory(void **state)
{
	cJSON_Hooks hooks = {.malloc_fn = limited_malloc, .free_fn = free};
	struct rw_policy p;
	char err[ERRLEN];
	long needed;

	(void)state;
	cJSON_InitHooks(&hooks);
	alloc_budget = -1;
	alloc_count = 0;
	parse_ok(&p, design_example);
	policy_deinit(&p);
	needed = alloc_count;
	assert_true(needed > 10);
	for (long budget = 0; budget < needed; budget++) {
		alloc_budget = budget;
		alloc_count = 0;
		int rc = parse(&p, design_example, err);
		if (rc != RW_ENOMEM ||
		    strcmp(err, "policy.json: out of memory while parsing") != 0 ||
		    !is_defaults(&p))
			fail_msg("budget %ld: rc %d, %s", budget, rc, err);
	}
	alloc_budget = -1;
	cJSON_InitHooks(NULL);
	parse_ok(&p, design_example);
	policy_deinit(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_bad_documents),
	        cmocka_unit_test(test_exact_messages),
	        cmocka_unit_test(test_nesting_limit),
	        cmocka_unit_test(test_canary_hook),
	        cmocka_unit_test(test_design_example),
	        cmocka_unit_test(test_defaults_when_absent),
	        cmocka_unit_test(test_good_values),
	        cmocka_unit_test(test_service_window_grammar),
	        cmocka_unit_test(test_round_trip),
	        cmocka_unit_test(test_to_json_quorum),
	        cmocka_unit_test(test_to_json_text),
	        cmocka_unit_test(test_floor_ppm),
	        cmocka_unit_test(test_api_edges),
	        cmocka_unit_test(test_cjson_out_of_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
