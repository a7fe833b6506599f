/* mps_tuning.c: OpenMed's MPS environment defaults, set only where unset when the device is mps. */
#include <stdlib.h>
#include <string.h>

#include "core/config_internal.h"
#include "device/device.h"

static const char *const mps_defaults[3][2] = {
    {"PYTORCH_ENABLE_MPS_FALLBACK", "1"},
    {"PYTORCH_MPS_HIGH_WATERMARK_RATIO", "1.0"},
    {"PYTORCH_MPS_LOW_WATERMARK_RATIO", "0.9"},
};

void om_device_apply_mps_tuning(openmed_device_choice *out) {
    if (strncmp(out->resolved, "mps", 3) != 0) return;
    for (int i = 0; i < 3; i++) {
        setenv(mps_defaults[i][0], mps_defaults[i][1], 0); /* os.environ.setdefault */
        const char *value = getenv(mps_defaults[i][0]);
        om_copy_string(out->mps_env[i][0], sizeof out->mps_env[i][0], mps_defaults[i][0]);
        om_copy_string(out->mps_env[i][1], sizeof out->mps_env[i][1], value ? value : "");
    }
    out->mps_tuned = 1;
}
