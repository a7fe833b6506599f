/* config_internal.h: helpers shared by the config defaults (config.c) and the file reader
 * (config_file.c), and by the device resolver's value normalization. */
#ifndef OM_CORE_CONFIG_INTERNAL_H
#define OM_CORE_CONFIG_INTERNAL_H

#include <stddef.h>

#include "openmed.h"

/* OpenMed's env_flag_enabled: false iff stripped-lower value is "", 0, false, no, off (or unset). */
int om_env_flag(const char *name);

/* Strip ASCII whitespace and lower-case ASCII letters (Python's str.strip().lower() on ASCII). */
void om_trim_lower(const char *in, char *out, size_t out_size);

/* Bounded copy that always terminates. */
void om_copy_string(char *dst, size_t dst_size, const char *src);

/* out = home + "/" + rest ("" if it does not fit). */
void om_join_home(char *out, size_t out_size, const char *home, const char *rest);

/* HF_TOKEN (only if unset), OPENMED_OFFLINE (or-ed), OPENMED_NUM_THREADS. Called by
 * openmed_config_init, before any file is read, so a file value beats the environment
 * (the same order as `device`); local_only is or-ed again after a file is read. */
void om_config_apply_env(openmed_config *cfg);

#endif
