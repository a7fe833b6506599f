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
    char devices[256];
} cuda_probe = {PTHREAD_ONCE_INIT, 0, 0, "", ""};

/* "cuda:0 NAME (N GiB, compute X.Y); ...; driver CUDA A.B" from the driver API; what the driver
 * does not answer is left out. */
static void describe_cuda_devices(void *lib) {
    typedef int (*cu_get_fn)(int *, int);
    typedef int (*cu_name_fn)(char *, int, int);
    typedef int (*cu_mem_fn)(size_t *, int);
    typedef int (*cu_attr_fn)(int *, int, int);
    typedef int (*cu_version_fn)(int *);
    enum { CC_MAJOR = 75, CC_MINOR = 76 }; /* CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR / _MINOR */
    cu_get_fn get = (cu_get_fn)dlsym(lib, "cuDeviceGet");
    cu_name_fn name = (cu_name_fn)dlsym(lib, "cuDeviceGetName");
    cu_mem_fn mem = (cu_mem_fn)dlsym(lib, "cuDeviceTotalMem_v2");
    cu_attr_fn attr = (cu_attr_fn)dlsym(lib, "cuDeviceGetAttribute");
    cu_version_fn version = (cu_version_fn)dlsym(lib, "cuDriverGetVersion");
    char *out = cuda_probe.devices;
    size_t size = sizeof cuda_probe.devices, used = 0;
    for (int i = 0; i < cuda_probe.count && get && name && used < size; i++) {
        int dev = 0, major = 0, minor = 0;
        char dev_name[96] = "";
        size_t bytes = 0;
        if (get(&dev, i) != 0 || name(dev_name, (int)sizeof dev_name, dev) != 0) break;
        int n = snprintf(out + used, size - used, "%scuda:%d %s", i ? "; " : "", i, dev_name);
        if (n > 0) used += (size_t)n;
        if (used < size && mem && attr && mem(&bytes, dev) == 0 && attr(&major, CC_MAJOR, dev) == 0 &&
            attr(&minor, CC_MINOR, dev) == 0) {
            n = snprintf(out + used, size - used, " (%.1f GiB, compute %d.%d)", (double)bytes / (1u << 30), major, minor);
            if (n > 0) used += (size_t)n;
        }
    }
    int v = 0;
    if (used < size && version && version(&v) == 0 && v > 0)
        snprintf(out + used, size - used, "%sdriver CUDA %d.%d", used ? "; " : "", v / 1000, (v % 1000) / 10);
}

/* The one libcuda probe: load the driver, initialise it and count devices, once per process. */
static void probe_cuda_once(void) {
    typedef int (*cu_init_fn)(unsigned int);
    typedef int (*cu_count_fn)(int *);
    void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *why = dlerror();
        snprintf(cuda_probe.reason, sizeof cuda_probe.reason,
                 "the NVIDIA driver library libcuda.so.1 is not installed or not loadable (%.150s)",
                 why ? why : "dlopen failed");
        return;
    }
    cu_init_fn cu_init = (cu_init_fn)dlsym(lib, "cuInit");
    cu_count_fn cu_count = (cu_count_fn)dlsym(lib, "cuDeviceGetCount");
    int rc;
    if (!cu_init || !cu_count) {
        om_copy_string(cuda_probe.reason, sizeof cuda_probe.reason, "libcuda.so.1 lacks cuInit/cuDeviceGetCount");
    } else if ((rc = cu_init(0)) != 0) {
        /* 100 CUDA_ERROR_NO_DEVICE, 34 CUDA_ERROR_STUB_LIBRARY, 35 CUDA_ERROR_INSUFFICIENT_DRIVER */
        const char *why = rc == 100 ? "the driver found no CUDA-capable device"
                          : rc == 34 ? "libcuda.so.1 is the toolkit's stub, not a real driver"
                          : rc == 35 ? "the driver is older than the CUDA runtime"
                                     : "the NVIDIA driver failed to initialise";
        snprintf(cuda_probe.reason, sizeof cuda_probe.reason, "%s (cuInit error %d)", why, rc);
    } else if ((rc = cu_count(&cuda_probe.count)) != 0 || cuda_probe.count <= 0) {
        om_copy_string(cuda_probe.reason, sizeof cuda_probe.reason, "the NVIDIA driver reports no CUDA device");
        cuda_probe.count = 0;
    } else {
        cuda_probe.available = 1;
        describe_cuda_devices(lib);
    }
    /* libcuda stays loaded: the CUDA backend will need it. */
}

int om_probe_cuda_driver(int *device_count, char *reason, size_t reason_size) {
    pthread_once(&cuda_probe.once, probe_cuda_once);
    if (device_count) *device_count = cuda_probe.count;
    if (reason) om_copy_string(reason, reason_size, cuda_probe.available ? "" : cuda_probe.reason);
    return cuda_probe.available;
}

int om_probe_cuda(int *device_count, char *reason, size_t reason_size, char *devices, size_t devices_size) {
    if (devices) om_copy_string(devices, devices_size, "");
    if (!OM_HAVE_CUDA) {
        if (device_count) *device_count = 0;
        if (reason)
            om_copy_string(reason, reason_size, "this build has no CUDA backend (nvcc was not found at build time)");
        return 0;
    }
    int available = om_probe_cuda_driver(device_count, reason, reason_size);
    if (devices && available) om_copy_string(devices, devices_size, cuda_probe.devices);
    return available;
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
static int real_cuda(void *ctx) { return om_probe_cuda(NULL, NULL, 0, NULL, 0); }

const om_device_probes *om_device_real_probes(void) {
    static const om_device_probes probes = {real_mps, real_cuda, NULL};
    return &probes;
}
