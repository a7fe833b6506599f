/* cpu_kernels.c: which kernels the cpu backend runs on this machine (openmed_cpu_kernels_query, shown
 * by `openmed doctor`): its own kernels' instruction sets and oneDNN's matmul for each compute dtype. */
#include <stdio.h>
#include <string.h>

#include "backend/cpu/cpu.h"
#include "core/error.h"

openmed_status openmed_cpu_kernels_query(openmed_cpu_kernels *out, openmed_error *err) {
    memset(out, 0, sizeof *out);
    om_cpu_features_describe(om_cpu_features(), out->features, sizeof out->features);
    openmed_status s = om_cpu_gemm_load(err);
    if (s != OPENMED_OK) return s;
    char impl[40];
    if (om_cpu_f32_packs() && om_cpu_matmul_probe(OM_F32, impl, sizeof impl, NULL) == OPENMED_OK)
        snprintf(out->float32, sizeof out->float32, "%s (weights packed)", impl);
    else
        snprintf(out->float32, sizeof out->float32, "sgemm (weights in place)");
    if (om_cpu_matmul_probe(OM_I8, impl, sizeof impl, NULL) == OPENMED_OK)
        snprintf(out->int8, sizeof out->int8, "%s", impl);
    if (om_cpu_matmul_probe(OM_BF16, impl, sizeof impl, NULL) == OPENMED_OK)
        snprintf(out->bfloat16, sizeof out->bfloat16, "%s", impl);
    return OPENMED_OK;
}
