/* error.c: status names and the om_fail helpers behind every error message. */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *openmed_status_name(openmed_status status) {
    switch (status) {
    case OPENMED_OK: return "ok";
    case OPENMED_ERR_INVALID_ARGUMENT: return "invalid_argument";
    case OPENMED_ERR_IO: return "io";
    case OPENMED_ERR_FORMAT: return "format";
    case OPENMED_ERR_UNSUPPORTED: return "unsupported";
    case OPENMED_ERR_DEVICE: return "device";
    case OPENMED_ERR_NO_MEMORY: return "no_memory";
    case OPENMED_ERR_NOT_FOUND: return "not_found";
    case OPENMED_ERR_NETWORK: return "network";
    case OPENMED_ERR_AUTH: return "auth";
    case OPENMED_ERR_INTEGRITY: return "integrity";
    case OPENMED_ERR_CONFIG: return "config";
    case OPENMED_ERR_INTERNAL: return "internal";
    case OPENMED_ERR_NUMERIC: return "numeric";
    case OPENMED_ERR_CANCELLED: return "cancelled";
    }
    return "unknown";
}

openmed_status om_fail(openmed_error *err, openmed_status status, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->status = status;
    }
    return status;
}

openmed_status om_fail_prefix(openmed_error *err, openmed_status status, const char *fmt, ...) {
    if (!err) return status;
    char prefix[OPENMED_ERROR_MESSAGE_MAX];
    char old[OPENMED_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->message, sizeof old);
    old[sizeof old - 1] = '\0';
    size_t n = strlen(prefix);
    if (n > sizeof err->message - 3) n = sizeof err->message - 3;
    memcpy(err->message, prefix, n);
    memcpy(err->message + n, ": ", 2);
    size_t room = sizeof err->message - n - 2;
    size_t m = strnlen(old, room - 1);
    memcpy(err->message + n + 2, old, m);
    err->message[n + 2 + m] = '\0';
    err->status = status;
    return status;
}
