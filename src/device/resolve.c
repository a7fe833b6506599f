/* resolve.c: OpenMed's torch device resolution (behaviour spec §1), rebuilt as a pure function,
 * plus the public openmed_device_resolve that feeds it the real config, environment and probes. */
#include <stdlib.h>
#include <string.h>

#include "core/config_internal.h"
#include "core/error.h"
#include "device/device.h"

void om_device_normalize(const char *in, char *out, size_t out_size) {
    if (!in) {
        om_copy_string(out, out_size, "auto");
        return;
    }
    om_trim_lower(in, out, out_size);
    if (!strcmp(out, "gpu")) om_copy_string(out, out_size, "cuda");
    else if (!out[0]) om_copy_string(out, out_size, "auto");
}

int om_device_is_auto(const char *normalized) {
    return !strcmp(normalized, "auto") || !strcmp(normalized, "default");
}

void om_device_resolve_pure(const char *explicit_device, const char *config_device, const char *env_torch,
                            const char *env_legacy, const om_device_probes *probes,
                            openmed_device_choice *out) {
    memset(out, 0, sizeof *out);
    const struct {
        const char *value;
        openmed_device_source source;
    } steps[] = {
        {explicit_device, OPENMED_DEVICE_SOURCE_ARGUMENT},
        {config_device, OPENMED_DEVICE_SOURCE_CONFIG},
        {env_torch, OPENMED_DEVICE_SOURCE_ENV_TORCH},
        {env_legacy, OPENMED_DEVICE_SOURCE_ENV_LEGACY},
    };
    char norm[sizeof out->requested];
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        om_device_normalize(steps[i].value, norm, sizeof norm);
        if (om_device_is_auto(norm)) continue;
        /* An explicit choice is returned as is: no availability check (OpenMed §1.4 row 6). */
        om_copy_string(out->requested, sizeof out->requested, norm);
        om_copy_string(out->resolved, sizeof out->resolved, norm);
        out->source = steps[i].source;
        return;
    }
    om_copy_string(out->requested, sizeof out->requested, "auto");
    out->source = OPENMED_DEVICE_SOURCE_AUTO;
    const char *pick = "cpu";
    if (probes && probes->mps_available && probes->mps_available(probes->ctx)) pick = "mps";
    else if (probes && probes->cuda_available && probes->cuda_available(probes->ctx)) pick = "cuda";
    om_copy_string(out->resolved, sizeof out->resolved, pick);
}

const char *openmed_device_source_name(openmed_device_source source) {
    switch (source) {
    case OPENMED_DEVICE_SOURCE_ARGUMENT: return "argument";
    case OPENMED_DEVICE_SOURCE_CONFIG: return "config";
    case OPENMED_DEVICE_SOURCE_ENV_TORCH: return "OPENMED_TORCH_DEVICE";
    case OPENMED_DEVICE_SOURCE_ENV_LEGACY: return "OPENMED_DEVICE";
    case OPENMED_DEVICE_SOURCE_AUTO: return "auto";
    }
    return "unknown";
}

openmed_status openmed_device_resolve(const char *explicit_device, const openmed_config *cfg,
                                      openmed_device_choice *out, openmed_error *err) {
    if (!out) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "openmed_device_resolve: out is NULL");
    om_device_resolve_pure(explicit_device, cfg ? cfg->device : NULL, getenv("OPENMED_TORCH_DEVICE"),
                           getenv("OPENMED_DEVICE"), om_device_real_probes(), out);
    /* dtype policy: auto is float32 on every device (the MPS recommendation, applied, and the only
     * exact choice on cpu); reduced precision only when asked for. */
    openmed_dtype dt = cfg ? cfg->dtype : OPENMED_DTYPE_AUTO;
    out->dtype = dt == OPENMED_DTYPE_AUTO ? OPENMED_DTYPE_FLOAT32 : dt;
    om_device_apply_mps_tuning(out);
    return OPENMED_OK;
}
