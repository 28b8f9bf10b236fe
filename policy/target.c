/* SPDX-License-Identifier: MIT */
/* target.c — validation of target triples (see target.h for the grammar). */
#include "policy/target.h"

#include <string.h>

bool target_is_valid(const char *s)
{
	size_t len, parts = 1, part_len = 0;

	if (!s)
		return false;
	len = strlen(s);
	if (len == 0 || len > RW_TARGET_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '-') {
			if (part_len == 0)
				return false;
			parts++;
			part_len = 0;
			continue;
		}
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (part_len == 0 && !alnum)
			return false;
		if (!alnum && c != '_' && c != '.')
			return false;
		part_len++;
	}
	return part_len > 0 && parts >= 2 && parts <= 4;
}
