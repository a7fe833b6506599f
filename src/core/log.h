/* log.h: the library's only diagnostic channel; silent unless the host installs a callback.
 * Never pass clinical text or entity values to om_log. */
#ifndef OM_CORE_LOG_H
#define OM_CORE_LOG_H

#include "openmed.h"

void om_log(openmed_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define OM_DEBUG(...) om_log(OPENMED_LOG_DEBUG, __VA_ARGS__)
#define OM_INFO(...) om_log(OPENMED_LOG_INFO, __VA_ARGS__)
#define OM_WARN(...) om_log(OPENMED_LOG_WARN, __VA_ARGS__)

#endif
