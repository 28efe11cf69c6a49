/*
 * utf8.h - UTF-8 validation for writers of text formats that must be valid
 * UTF-8 (JSON alerts, the YAML of --print-config) while the bytes they
 * carry come from outside (file and process names, command lines). Pure
 * functions, any thread.
 */
#ifndef PG_LIB_UTF8_H
#define PG_LIB_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * The length of the valid UTF-8 sequence at @s (@n > 0 bytes readable),
 * 1 to 4, with its code point in *@cp; 0 when @s does not start one (a
 * stray continuation byte, a truncated sequence, an overlong form, a
 * surrogate, past U+10FFFF).
 */
static inline size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
	size_t len = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3
		   : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
	uint32_t c;

	if (!len || len > n)
		return 0;
	c = len == 1 ? s[0] : s[0] & (0x3fu >> (len - 1));
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

#endif /* PG_LIB_UTF8_H */
