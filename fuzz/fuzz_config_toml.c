/* fuzz_config_toml.c: OpenMed's `key = value` config file (config.toml) on hostile bytes: it
 * loads or fails with a proper error record, and every string it fills stays terminated. */
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "openmed.h"

static char path[400];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    fuzz_path(path, sizeof path, "config.toml");
    return 0;
}

#define TERMINATED(field) memchr(cfg.field, 0, sizeof cfg.field) != NULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_write(path, data, size);
    openmed_config cfg;
    openmed_config_init(&cfg);
    openmed_error err;
    memset(&err, 0, sizeof err);
    openmed_status s = openmed_config_load_file(&cfg, path, &err);
    FUZZ_CHECK_ERROR(s, err);
    FUZZ_ASSERT(TERMINATED(backend) && TERMINATED(device) && TERMINATED(cache_dir) && TERMINATED(hf_token) &&
                    TERMINATED(default_org) && TERMINATED(config_path) && TERMINATED(unused_keys),
                "a config string is not terminated");
    if (s == OPENMED_OK) {
        FUZZ_ASSERT(cfg.num_threads >= 0, "num_threads %d", cfg.num_threads);
        FUZZ_ASSERT(cfg.dtype >= OPENMED_DTYPE_AUTO && cfg.dtype <= OPENMED_DTYPE_BFLOAT16, "dtype %d", (int)cfg.dtype);
    }
    return 0;
}
