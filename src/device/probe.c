/* probe.c: real availability probes. CUDA asks the driver (libcuda, loaded at run time so one
 * binary runs with and without NVIDIA drivers); MPS needs macOS on Apple Silicon and our Metal
 * backend, which this build does not contain on other systems. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/config_internal.h"
#include "device/device.h"

static struct {
    pthread_once_t once;
    int available;
    int count;
    char reason[256];
} cuda_probe = {PTHREAD_ONCE_INIT, 0, 0, ""};

static void probe_cuda_once(void) {
    typedef int (*cu_init_fn)(unsigned int);
    typedef int (*cu_count_fn)(int *);
    if (!OM_HAVE_CUDA) {
        om_copy_string(cuda_probe.reason, sizeof cuda_probe.reason,
                       "this build has no CUDA backend (nvcc was not found at build time)");
        return;
    }
    void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        om_copy_string(cuda_probe.reason, sizeof cuda_probe.reason,
                       "no NVIDIA driver: libcuda.so.1 could not be loaded");
        return;
    }
    cu_init_fn cu_init = (cu_init_fn)dlsym(lib, "cuInit");
    cu_count_fn cu_count = (cu_count_fn)dlsym(lib, "cuDeviceGetCount");
    int rc;
    if (!cu_init || !cu_count) {
        om_copy_string(cuda_probe.reason, sizeof cuda_probe.reason, "libcuda.so.1 lacks cuInit/cuDeviceGetCount");
    } else if ((rc = cu_init(0)) != 0) {
        snprintf(cuda_probe.reason, sizeof cuda_probe.reason, "the NVIDIA driver failed to initialise (cuInit error %d)", rc);
    } else if ((rc = cu_count(&cuda_probe.count)) != 0 || cuda_probe.count <= 0) {
        om_copy_string(cuda_probe.reason, sizeof cuda_probe.reason, "the NVIDIA driver reports no CUDA device");
        cuda_probe.count = 0;
    } else {
        cuda_probe.available = 1;
    }
    /* libcuda stays loaded: the CUDA backend will need it. */
}

int om_probe_cuda(int *device_count, char *reason, size_t reason_size) {
    pthread_once(&cuda_probe.once, probe_cuda_once);
    if (device_count) *device_count = cuda_probe.count;
    if (reason) om_copy_string(reason, reason_size, cuda_probe.available ? "" : cuda_probe.reason);
    return cuda_probe.available;
}

int om_probe_mps(char *reason, size_t reason_size) {
#if defined(__APPLE__) && defined(__aarch64__)
    if (OM_HAVE_METAL) return 1;
    if (reason) om_copy_string(reason, reason_size, "this build has no Metal backend");
    return 0;
#else
    if (reason)
        om_copy_string(reason, reason_size,
                       "mps needs macOS on Apple Silicon with the Metal backend; this is not such a machine");
    return 0;
#endif
}

static int real_mps(void *ctx) { return om_probe_mps(NULL, 0); }
static int real_cuda(void *ctx) { return om_probe_cuda(NULL, NULL, 0); }

const om_device_probes *om_device_real_probes(void) {
    static const om_device_probes probes = {real_mps, real_cuda, NULL};
    return &probes;
}
