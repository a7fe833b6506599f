/* cuda_loader.c: opens the "cuda"/"cuda:N" backend by loading the plugin libopenmed_cuda.so at run
 * time, so one binary runs everywhere and the CUDA runtime is loaded only when a device exists.
 *
 * Order: parse the device name; ask the NVIDIA driver (the device module's libcuda probe) whether
 * a device with that ordinal exists; find the plugin ($OPENMED_CUDA_PLUGIN, else next to the
 * executable or the library: <dir>/, <dir>/lib/, <dir>/../lib/); check that it was built from this
 * backend.h; call its entry point. Each failure names the device and what was looked for.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/cuda/plugin.h"
#include "core/error.h"
#include "device/device.h"

openmed_status om_cuda_backend_open(const char *device, int num_threads, om_backend **out, openmed_error *err);

/* The driver's answer for this ordinal (the process's one libcuda probe, src/device/probe.c). */
static openmed_status probe_driver(const char *device, int ordinal, openmed_error *err) {
    int count = 0;
    char reason[256];
    if (!om_probe_cuda_driver(&count, reason, sizeof reason))
        return om_fail(err, OPENMED_ERR_DEVICE, "%s: no CUDA device: %s", device, reason);
    if (ordinal >= count)
        return om_fail(err, OPENMED_ERR_DEVICE, "%s: no such CUDA device: %d device%s present (cuda:0..cuda:%d)", device,
                       count, count == 1 ? "" : "s", count - 1);
    return OPENMED_OK;
}

/* Directory part of path (without the trailing slash) into out; 0 on success. */
static int dir_of(const char *path, char *out, size_t size) {
    const char *slash = strrchr(path, '/');
    if (!slash) return -1;
    size_t n = (size_t)(slash - path);
    if (n == 0) n = 1; /* "/" */
    if (n >= size) return -1;
    memcpy(out, path, n);
    out[n] = '\0';
    return 0;
}

static pthread_mutex_t plugin_lock = PTHREAD_MUTEX_INITIALIZER;
static void *plugin_handle; /* never closed: backends keep pointers into it */

/* Load the plugin once; on failure the message lists every path tried. */
static openmed_status load_plugin(const char *device, void **handle, openmed_error *err) {
    if (plugin_handle) {
        *handle = plugin_handle;
        return OPENMED_OK;
    }
    char tried[700] = "";
    size_t used = 0;
    char last_error[560] = "";
    const char *env = getenv("OPENMED_CUDA_PLUGIN");
    char dirs[2][PATH_MAX];
    int n_dirs = 0;
    if (!env || !*env) {
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n > 0) {
            exe[n] = '\0';
            if (dir_of(exe, dirs[n_dirs], sizeof dirs[0]) == 0) n_dirs++;
        }
        Dl_info info;
        if (dladdr((void *)&om_cuda_backend_open, &info) && info.dli_fname && strchr(info.dli_fname, '/') &&
            dir_of(info.dli_fname, dirs[n_dirs], sizeof dirs[0]) == 0 &&
            (n_dirs == 0 || strcmp(dirs[0], dirs[n_dirs]) != 0))
            n_dirs++;
    }
    const char *subdirs[] = {"/", "/lib/", "/../lib/"};
    int n_candidates = (env && *env) ? 1 : n_dirs * 3;
    for (int i = 0; i < n_candidates; i++) {
        char path[PATH_MAX + 32];
        if (env && *env)
            snprintf(path, sizeof path, "%s", env);
        else
            snprintf(path, sizeof path, "%s%s%s", dirs[i / 3], subdirs[i % 3], OM_CUDA_PLUGIN_FILE);
        if (used < sizeof tried - 1)
            used += (size_t)snprintf(tried + used, sizeof tried - used, "%s%s", used ? ", " : "", path);
        if (access(path, R_OK) != 0) continue;
        void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            const char *why = dlerror();
            snprintf(last_error, sizeof last_error, "; %.300s failed to load: %.200s", path, why ? why : "dlopen failed");
            continue;
        }
        plugin_handle = h;
        *handle = h;
        return OPENMED_OK;
    }
    if (used >= sizeof tried - 1) strcpy(tried + sizeof tried - 5, "...");
    return om_fail(err, OPENMED_ERR_DEVICE,
                   "%s: the CUDA plugin %s was not found (searched %s)%s; build with nvcc (CUDA toolkit) or set "
                   "OPENMED_CUDA_PLUGIN to its path",
                   device, OM_CUDA_PLUGIN_FILE, tried, last_error);
}

openmed_status om_cuda_backend_open(const char *device, int num_threads, om_backend **out, openmed_error *err) {
    if (!out) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "cuda: no output backend pointer");
    *out = NULL;
    om_device_kind kind;
    int ordinal;
    if (om_device_parse(device, &kind, &ordinal) != 0 || kind != OM_DEVICE_CUDA)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "\"%s\" is not a CUDA device name (expected cuda or cuda:N)",
                       device ? device : "(null)");
    if (ordinal < 0) ordinal = 0;
    openmed_status st = probe_driver(device, ordinal, err);
    if (st != OPENMED_OK) return st;

    pthread_mutex_lock(&plugin_lock);
    void *h = NULL;
    st = load_plugin(device, &h, err);
    pthread_mutex_unlock(&plugin_lock);
    if (st != OPENMED_OK) return st;

    om_cuda_plugin_abi_fn abi = (om_cuda_plugin_abi_fn)dlsym(h, OM_CUDA_PLUGIN_ABI_SYMBOL);
    om_cuda_plugin_open_fn open_fn = (om_cuda_plugin_open_fn)dlsym(h, OM_CUDA_PLUGIN_OPEN_SYMBOL);
    if (!abi || !open_fn)
        return om_fail(err, OPENMED_ERR_DEVICE, "%s: %s lacks its entry points (%s, %s)", device, OM_CUDA_PLUGIN_FILE,
                       OM_CUDA_PLUGIN_ABI_SYMBOL, OM_CUDA_PLUGIN_OPEN_SYMBOL);
    if (abi() != om_cuda_plugin_abi_expected())
        return om_fail(err, OPENMED_ERR_DEVICE,
                       "%s: %s was built from a different op layer (abi %ld, expected %ld); rebuild it with this tree",
                       device, OM_CUDA_PLUGIN_FILE, abi(), om_cuda_plugin_abi_expected());
    return open_fn(ordinal, num_threads, out, err);
}
