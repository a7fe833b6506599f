/* parse.c: the one parser of device names ("cpu", "cuda", "cuda:1", "mps"). */
#include <string.h>

#include "device/device.h"

int om_device_parse(const char *name, om_device_kind *kind, int *index) {
    *kind = OM_DEVICE_UNKNOWN;
    *index = -1;
    if (!name) return -1;
    const char *colon = strchr(name, ':');
    size_t n = colon ? (size_t)(colon - name) : strlen(name);
    if (n == 3 && !strncmp(name, "cpu", 3)) *kind = OM_DEVICE_CPU;
    else if (n == 4 && !strncmp(name, "cuda", 4)) *kind = OM_DEVICE_CUDA;
    else if (n == 3 && !strncmp(name, "mps", 3)) *kind = OM_DEVICE_MPS;
    if (!colon) return 0;
    const char *p = colon + 1;
    if (!*p) return -1;
    long v = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9') return -1;
        v = v * 10 + (*p - '0');
        if (v > 4096) return -1;
    }
    *index = (int)v;
    return 0;
}
