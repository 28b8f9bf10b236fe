/* SPDX-License-Identifier: MIT */
/*
 * registration.c — the registration transition table; its diagram and the
 * reasons for it are in registration.h. Pure: it logs nothing, the caller
 * that writes the change logs old -> new.
 */
#include "policy/registration.h"

#include <stdio.h>

#include "policy/base/rw_error.h"

/* 'C' change, 'S' same (nothing to write), 'R' refused; [from][to]. */
static const char table[REGISTRATION_NSTATUS][REGISTRATION_NSTATUS] = {
        /*                       pending approved retired */
        [REGISTRATION_PENDING] = {'S', 'C', 'C'},
        [REGISTRATION_APPROVED] = {'R', 'S', 'C'},
        [REGISTRATION_RETIRED] = {'R', 'R', 'R'},
};

/* What a runner in each status still allows, for the reason of a refusal. */
static const char *const allowed[REGISTRATION_NSTATUS] = {
        [REGISTRATION_PENDING] = "a pending runner can be approved or retired",
        [REGISTRATION_APPROVED] = "an approved runner can only be retired",
        [REGISTRATION_RETIRED] = "a retired runner stays retired (register a new one)",
};

static int is_status(int s)
{
	return s >= 0 && s < REGISTRATION_NSTATUS;
}

const char *registration_status_name(int status)
{
	switch (status) {
	case REGISTRATION_PENDING: return "pending";
	case REGISTRATION_APPROVED: return "approved";
	case REGISTRATION_RETIRED: return "retired";
	}
	return "unknown";
}

int registration_check(const char *runner, int from, int to, char *why, size_t whylen)
{
	if (!runner)
		runner = "?";
	if (!is_status(from) || !is_status(to)) {
		if (why && whylen)
			snprintf(why, whylen, "runner %s: %d is not a registration status", runner,
			         is_status(from) ? to : from);
		return RW_EINVAL;
	}
	switch (table[from][to]) {
	case 'C': return REGISTRATION_CHANGE;
	case 'S': return REGISTRATION_SAME;
	}
	if (why && whylen)
		snprintf(why, whylen, "runner %s is %s; %s", runner, registration_status_name(from),
		         allowed[from]);
	return RW_ECONFLICT;
}
