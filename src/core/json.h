/* json.h: reading optional values out of cJSON objects, and writing JSON string literals. */
#ifndef OM_CORE_JSON_H
#define OM_CORE_JSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "core/buf.h"

/* cJSON_ParseWithLengthOpts (require_null_terminated 0) that also tells why it failed: NULL with
 * *out_of_memory = 1 when an allocation failed, 0 when the text is not JSON (*end then points near
 * the fault). cJSON's allocator hooks are set once, process-wide, to malloc/free wrappers that note
 * a failure per thread; a program that installs its own hooks afterwards only loses that
 * distinction (its failures read as bad text). */
cJSON *om_json_parse(const char *text, size_t len, const char **end, int *out_of_memory);

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
