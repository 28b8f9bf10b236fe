/* SPDX-License-Identifier: MIT */
/*
 * rw_error.h — the one error vocabulary of runwarden.
 *
 * Every function that can fail returns int: 0 on success, a negative RW_E*
 * code on failure. Codes from libuv, libcurl and SQLite are converted at the
 * module boundary that calls them and never travel deeper.
 */
#ifndef RW_ERROR_H
#define RW_ERROR_H

enum rw_error {
	RW_OK = 0,
	RW_EINVAL = -1,    /* bad input: a field, a value, a request */
	RW_ENOMEM = -2,    /* allocation failed */
	RW_ENOENT = -3,    /* no such operator, runner, file */
	RW_EEXIST = -4,    /* a duplicate name */
	RW_EIO = -5,       /* storage or file I/O failed */
	RW_EBUSY = -6,     /* the database stayed locked past the busy timeout */
	RW_ECANCELED = -7, /* the operation was cancelled by shutdown */
	RW_ETIMEDOUT = -8, /* the operation did not finish in time */
	RW_ERANGE = -9,    /* a number outside its allowed range */
	RW_ESCHEMA = -10,  /* the database was written by a newer runwarden */
	RW_EREFUSED = -11, /* the address guard refused a destination */
	RW_ENET = -12,     /* a network operation failed */
	/* The object's current state forbids the change (e.g. a retired runner). */
	RW_ECONFLICT = -13,
	RW_E_LAST = RW_ECONFLICT, /* the last code: a new one goes after it and moves this */
};

/** Returns a static, human-readable description of @p rc (never NULL). */
const char *rw_strerror(int rc);

#endif
