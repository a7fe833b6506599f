/* error.h: filling openmed_error records, the library's one way of reporting a failure.
 *
 * Every library function that can fail returns an openmed_status and takes `openmed_error *err`
 * last (it may be NULL). A failure is reported once, where it is found, with om_fail (status and a
 * message naming the file, field, tensor or device); callers above either pass the status up
 * unchanged or add context in front of the message with om_fail_prefix. Helpers that cannot fail
 * in any way but memory may return 0/1 and leave the message to their caller; nothing prints. */
#ifndef OM_CORE_ERROR_H
#define OM_CORE_ERROR_H

#include "openmed.h"

/* Set err (if not NULL) to status and a printf-style message; returns status so callers can
 * write `return om_fail(err, OPENMED_ERR_IO, "%s: cannot open", path);`. */
openmed_status om_fail(openmed_error *err, openmed_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Put context in front of the message of a failure with `status` that a callee reported into err:
 * "<context>: <message>" (err->status becomes status). err may be NULL; returns status either way,
 * so callers write `if (st != OPENMED_OK) return om_fail_prefix(err, st, "loading %s", path);`. */
openmed_status om_fail_prefix(openmed_error *err, openmed_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
