/* test_cuda_loader.c: the cuda backend loader's errors (bad names, no device, missing plugin) and,
 * when the plugin was built, that it loads, matches this op layer and reports a missing device. */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/cuda/plugin.h"
#include "check.h"

openmed_status om_cuda_backend_open(const char *device, int num_threads, om_backend **out, openmed_error *err);

int main(void) {
    openmed_error err;
    om_backend *be = (om_backend *)1;

    /* Names that are not CUDA devices. */
    const char *bad[] = {"cudax", "cuda:", "cuda:-1", "cuda:1x", "cuda:99999999", "gpu", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&err, 0, sizeof err);
        CHECK_INT(om_cuda_backend_open(bad[i], 0, &be, &err), OPENMED_ERR_INVALID_ARGUMENT);
        CHECK(be == NULL);
        CHECK(strstr(err.message, "not a CUDA device name") != NULL);
    }

    /* "cuda" through the generic entry point: either a working device or a clear refusal. */
    memset(&err, 0, sizeof err);
    openmed_status st = om_backend_create("cuda", 0, &be, &err);
    int have_device = st == OPENMED_OK;
    if (have_device) {
        CHECK_STR(be->name, "cuda:0");
        om_backend_destroy(be);
        memset(&err, 0, sizeof err);
        CHECK_INT(om_cuda_backend_open("cuda:4095", 0, &be, &err), OPENMED_ERR_DEVICE);
        CHECK(strstr(err.message, "cuda:4095: no such CUDA device") != NULL);
        /* A plugin path that does not exist is named in the error. */
        setenv("OPENMED_CUDA_PLUGIN", "/nonexistent/libopenmed_cuda.so", 1);
        memset(&err, 0, sizeof err);
        om_backend *b2 = NULL;
        st = om_cuda_backend_open("cuda:0", 0, &b2, &err);
        /* the plugin may already be loaded in this process; then the path is not consulted */
        if (st != OPENMED_OK) CHECK(strstr(err.message, "/nonexistent/libopenmed_cuda.so") != NULL);
        else om_backend_destroy(b2);
        unsetenv("OPENMED_CUDA_PLUGIN");
    } else {
        printf("no device here: %s\n", err.message);
        CHECK_INT(st, OPENMED_ERR_DEVICE);
        CHECK(be == NULL);
        CHECK(strncmp(err.message, "cuda: ", 6) == 0);
        CHECK(strstr(err.message, "no CUDA device") != NULL || strstr(err.message, "plugin") != NULL);
        memset(&err, 0, sizeof err);
        CHECK_INT(om_cuda_backend_open("cuda:3", 0, &be, &err), OPENMED_ERR_DEVICE);
        CHECK(strncmp(err.message, "cuda:3: ", 8) == 0);
    }

    /* The plugin of this build tree, when nvcc built one: it loads, was built from this
     * backend.h, and its own entry point reports a missing device cleanly. */
    const char *plugin = OM_BINARY_DIR "/lib/" OM_CUDA_PLUGIN_FILE;
    if (access(plugin, R_OK) == 0) {
        void *h = dlopen(plugin, RTLD_NOW | RTLD_LOCAL);
        CHECK_MSG(h != NULL, "dlopen %s: %s", plugin, dlerror());
        if (h) {
            om_cuda_plugin_abi_fn abi = (om_cuda_plugin_abi_fn)dlsym(h, OM_CUDA_PLUGIN_ABI_SYMBOL);
            om_cuda_plugin_open_fn open_fn = (om_cuda_plugin_open_fn)dlsym(h, OM_CUDA_PLUGIN_OPEN_SYMBOL);
            CHECK(abi != NULL && open_fn != NULL);
            if (abi) CHECK_INT(abi(), om_cuda_plugin_abi_expected());
            if (open_fn && !have_device) {
                memset(&err, 0, sizeof err);
                CHECK_INT(open_fn(0, 0, &be, &err), OPENMED_ERR_DEVICE);
                CHECK(strstr(err.message, "cuda:0: no CUDA device") != NULL);
                printf("plugin without a device: %s\n", err.message);
            }
            /* never dlclose: the CUDA runtime inside registers exit handlers */
        }
    } else {
        printf("plugin not built in this tree (%s): skipping its checks\n", plugin);
    }
    return check_finish("test_cuda_loader");
}
