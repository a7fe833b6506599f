/* json.h: reading optional values out of cJSON objects, and writing JSON string literals. */
#ifndef OM_CORE_JSON_H
#define OM_CORE_JSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "core/buf.h"

/* o[key] when it is a boolean, else dflt. */
int om_json_bool(const cJSON *o, const char *key, int dflt);

/* o[key] when it is a string, else NULL (absent, null or another type). */
const char *om_json_str(const cJSON *o, const char *key);

/* Append s[0..n) as a JSON string literal, quotes included: ", \ and control characters escaped
 * (\n, \t, ... or \u00XX). ascii = 1 also escapes everything beyond ASCII as \uXXXX (surrogate
 * pairs above U+FFFF), as Python's json.dumps does by default (a byte that is not UTF-8 becomes
 * \u00XX); with ascii = 0 other bytes pass unchanged. */
void om_buf_json_string(om_buf *b, const char *s, size_t n, int ascii);

#endif
