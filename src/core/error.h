/* error.h: filling openmed_error records; every library failure goes through om_fail. */
#ifndef OM_CORE_ERROR_H
#define OM_CORE_ERROR_H

#include "openmed.h"

/* Set err (if not NULL) to status and a printf-style message; returns status so callers can
 * write `return om_fail(err, OPENMED_ERR_IO, "%s: cannot open", path);`. */
openmed_status om_fail(openmed_error *err, openmed_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix an existing error message with context ("loading model X: <old message>"). */
openmed_status om_fail_prefix(openmed_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
