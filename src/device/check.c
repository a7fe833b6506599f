/* check.c: whether a resolved device can run here, and the clear error when it cannot
 * (naming the device, who asked for it and why it is unavailable). */
#include <ctype.h>
#include <stdlib.h>
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

/* Split "cuda:1" into family "cuda" and index 1; index -1 when absent. Returns 0, or -1 when the
 * index is not a non-negative integer. */
static int split_device(const char *device, char *family, size_t family_size, long *index) {
    const char *colon = strchr(device, ':');
    size_t n = colon ? (size_t)(colon - device) : strlen(device);
    if (n >= family_size) n = family_size - 1;
    memcpy(family, device, n);
    family[n] = '\0';
    *index = -1;
    if (!colon) return 0;
    const char *digits = colon + 1;
    if (!*digits) return -1;
    for (const char *p = digits; *p; p++)
        if (!isdigit((unsigned char)*p)) return -1;
    *index = strtol(digits, NULL, 10);
    return 0;
}

openmed_status openmed_device_check(const openmed_device_choice *choice, openmed_error *err) {
    const char *device = choice->resolved;
    const char *who = openmed_device_source_name(choice->source);
    char family[32];
    long index;
    if (split_device(device, family, sizeof family, &index) != 0)
        return om_fail(err, OPENMED_ERR_DEVICE, "device '%s' (from %s) is not valid: expected cpu, cuda, cuda:N or mps",
                       device, who);
    openmed_backend_info info;
    if (!strcmp(family, "cpu")) {
        if (index > 0)
            return om_fail(err, OPENMED_ERR_DEVICE, "device '%s' (from %s) is unavailable: there is one cpu device",
                           device, who);
        return OPENMED_OK;
    }
    if (!strcmp(family, "cuda")) {
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
    if (!strcmp(family, "mps")) {
        openmed_backend_query("mps", &info);
        if (!info.available)
            return om_fail(err, OPENMED_ERR_DEVICE, "device '%s' (from %s) is unavailable: %s", device, who, info.reason);
        return OPENMED_OK;
    }
    return om_fail(err, OPENMED_ERR_DEVICE, "device '%s' (from %s) is not supported by OpenMed-C: expected cpu, cuda, cuda:N or mps",
                   device, who);
}
