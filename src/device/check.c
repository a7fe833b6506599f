/* check.c: whether a resolved device can run here, and the clear error when it cannot
 * (naming the device, who asked for it and why it is unavailable). */
#include <string.h>

#include "core/config_internal.h"
#include "core/error.h"
#include "device/device.h"

void openmed_backend_query(const char *name, openmed_backend_info *out) {
    memset(out, 0, sizeof *out);
    if (!name) name = "";
    if (!strcmp(name, "cpu")) {
        out->compiled = out->available = 1;
    } else if (!strcmp(name, "cuda")) {
        out->compiled = OM_HAVE_CUDA;
        out->available = om_probe_cuda(NULL, out->reason, sizeof out->reason, out->devices, sizeof out->devices);
    } else if (!strcmp(name, "mps")) {
        out->compiled = OM_HAVE_METAL;
        out->available = om_probe_mps(out->reason, sizeof out->reason);
    } else {
        om_copy_string(out->reason, sizeof out->reason, "unknown backend");
    }
}

openmed_status openmed_device_check(const openmed_device_choice *choice, openmed_error *err) {
    const char *device = choice->resolved;
    const char *who = openmed_device_source_name(choice->source);
    om_device_kind kind;
    int index;
    if (om_device_parse(device, &kind, &index) != 0)
        return om_fail(err, OPENMED_ERR_DEVICE, "device '%s' (from %s) is not valid: expected cpu, cuda, cuda:N or mps",
                       device, who);
    openmed_backend_info info;
    if (kind == OM_DEVICE_CPU) {
        if (index > 0)
            return om_fail(err, OPENMED_ERR_DEVICE, "device '%s' (from %s) is unavailable: there is one cpu device",
                           device, who);
        return OPENMED_OK;
    }
    if (kind == OM_DEVICE_CUDA) {
        openmed_backend_query("cuda", &info);
        if (!info.available)
            return om_fail(err, OPENMED_ERR_DEVICE, "device '%s' (from %s) is unavailable: %s", device, who, info.reason);
        int count = 0;
        om_probe_cuda(&count, NULL, 0, NULL, 0);
        if (index >= count)
            return om_fail(err, OPENMED_ERR_DEVICE,
                           "device '%s' (from %s) is unavailable: this machine has %d CUDA device%s (cuda:0..cuda:%d)",
                           device, who, count, count == 1 ? "" : "s", count - 1);
        return OPENMED_OK;
    }
    if (kind == OM_DEVICE_MPS) {
        openmed_backend_query("mps", &info);
        if (!info.available)
            return om_fail(err, OPENMED_ERR_DEVICE, "device '%s' (from %s) is unavailable: %s", device, who, info.reason);
        return OPENMED_OK;
    }
    return om_fail(err, OPENMED_ERR_DEVICE, "device '%s' (from %s) is not supported by OpenMed-C: expected cpu, cuda, cuda:N or mps",
                   device, who);
}
