/* SPDX-License-Identifier: MIT */
/* rw_error.c — text for the RW_E* codes of rw_error.h. */
#include "policy/base/rw_error.h"

const char *rw_strerror(int rc)
{
	switch (rc) {
	case RW_OK: return "success";
	case RW_EINVAL: return "invalid argument";
	case RW_ENOMEM: return "out of memory";
	case RW_ENOENT: return "not found";
	case RW_EEXIST: return "already exists";
	case RW_EIO: return "input/output error";
	case RW_EBUSY: return "database busy";
	case RW_ECANCELED: return "canceled";
	case RW_ETIMEDOUT: return "timed out";
	case RW_ERANGE: return "out of range";
	case RW_ESCHEMA: return "database schema is newer than this runwarden";
	case RW_EREFUSED: return "refused by the address guard";
	case RW_ENET: return "network error";
	case RW_ECONFLICT: return "conflicts with the current state";
	}
	return "unknown error";
}
