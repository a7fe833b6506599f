/* log.c: the process-wide log callback and the formatter that feeds it. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>

static openmed_log_callback g_callback;
static void *g_user_data;

void openmed_log_set(openmed_log_callback callback, void *user_data) {
    g_callback = callback;
    g_user_data = user_data;
}

const char *openmed_version(void) { return OPENMED_VERSION_STRING; }

void om_log(openmed_log_level level, const char *fmt, ...) {
    openmed_log_callback cb = g_callback;
    if (!cb) return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cb(level, buf, g_user_data);
}
