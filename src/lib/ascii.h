/*
 * ascii.h - locale-free character helpers shared by the parsers of outside
 * input (filter and rules text, container runtime JSON, HTTP, cgroup
 * paths). Pure functions, any thread.
 */
#ifndef PG_LIB_ASCII_H
#define PG_LIB_ASCII_H

#include <stdbool.h>
#include <stddef.h>

/* The value of hex digit @c (either case), or -1. */
static inline int ascii_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Whether @s[0..@n) are all lowercase hex digits (container ids are). */
static inline bool ascii_is_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

#endif /* PG_LIB_ASCII_H */
