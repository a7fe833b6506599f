/* str.h: owned copies of strings. */
#ifndef OM_CORE_STR_H
#define OM_CORE_STR_H

#include <stddef.h>

/* A malloc'd NUL-terminated copy of s (of its first n bytes for om_strndup); NULL without memory. */
char *om_strdup(const char *s);
char *om_strndup(const char *s, size_t n);

#endif
