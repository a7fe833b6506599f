/* backend.c: picks the backend for a resolved device name, plus the small shared op-layer helpers. */
#include "backend/backend.h"

#include <string.h>

#include "core/error.h"
#include "device/device.h"

/* The CPU backend (src/backend/cpu/) is always built. */
openmed_status om_cpu_backend_open(int num_threads, om_backend **out, openmed_error *err);

/* The CUDA plugin loader (cuda_loader.c, plain C, always built): dlopen()s libopenmed_cuda.so when
 * a CUDA device exists, else fails naming what is missing. */
openmed_status om_cuda_backend_open(const char *device, int num_threads, om_backend **out, openmed_error *err);

int om_act_parse(const char *name, om_act *out) {
    static const struct {
        const char *name;
        om_act act;
    } table[] = {
        {"gelu", OM_ACT_GELU},           {"gelu_python", OM_ACT_GELU},         {"gelu_new", OM_ACT_GELU_TANH},
        {"gelu_pytorch_tanh", OM_ACT_GELU_TANH}, {"gelu_fast", OM_ACT_GELU_TANH}, {"relu", OM_ACT_RELU},
        {"silu", OM_ACT_SILU},           {"swish", OM_ACT_SILU},               {"quick_gelu", OM_ACT_QUICK_GELU},
        {"linear", OM_ACT_NONE},         {"identity", OM_ACT_NONE},
    };
    if (!name) return -1;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(name, table[i].name) == 0) {
            *out = table[i].act;
            return 0;
        }
    return -1;
}

size_t om_dtype_size(om_dtype dt) {
    switch (dt) {
    case OM_F32: return 4;
    case OM_F16: return 2;
    case OM_BF16: return 2;
    case OM_I8: return 1;
    }
    return 0;
}

openmed_status om_backend_create(const char *device, int num_threads, om_backend **out, openmed_error *err) {
    *out = NULL;
    if (!device || !device[0]) return om_cpu_backend_open(num_threads, out, err);
    om_device_kind kind;
    int index;
    int well_formed = om_device_parse(device, &kind, &index) == 0;
    if (kind == OM_DEVICE_CPU && well_formed && index <= 0) return om_cpu_backend_open(num_threads, out, err);
    if (kind == OM_DEVICE_CUDA) return om_cuda_backend_open(device, num_threads, out, err);
    if (kind == OM_DEVICE_MPS)
        return om_fail(err, OPENMED_ERR_DEVICE,
                       "device \"%s\": the Metal (mps) backend is not compiled into this build", device);
    return om_fail(err, OPENMED_ERR_DEVICE, "device \"%s\": unknown device (expected cpu, cuda, cuda:N or mps)",
                   device);
}

void om_backend_destroy(om_backend *be) {
    if (be && be->destroy) be->destroy(be);
}
