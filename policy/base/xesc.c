/* SPDX-License-Identifier: MIT */
/* xesc.c — \xNN escaping; see xesc.h. */
#include "policy/base/xesc.h"

#include <string.h>

int xesc_needed(unsigned char c)
{
	return c < 0x20 || c >= 0x7f || c == '"' || c == '\\';
}

size_t xesc(char *out, size_t outlen, const char *s, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t o = 0, keep = 0; /* keep: where "..." goes if the rest does not fit */
	size_t i;

	if (outlen == 0)
		return 0;
	for (i = 0; s && i < n && s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t w = xesc_needed(c) ? 4 : 1;

		if (o + w > outlen - 1)
			break;
		if (o + w + 3 <= outlen - 1)
			keep = o + w;
		if (w == 1) {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = digits[c >> 4];
			out[o++] = digits[c & 0xf];
		}
	}
	if (s && i < n && s[i] != '\0') {
		/* Cut: back to the last piece that leaves room for the dots. */
		size_t dots = outlen - 1 < 3 ? outlen - 1 : 3;

		o = dots == 3 ? keep : 0;
		memset(out + o, '.', dots);
		o += dots;
	}
	out[o] = '\0';
	return o;
}
