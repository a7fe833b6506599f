/* plugin.cu: the CUDA plugin's entry points: open a device as an om_backend, fill the vtable, tear it down. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cuda/cuda_internal.h"

openmed_status om_cu_fail(om_cu_ctx *c, openmed_error *err, cudaError_t e, const char *what) {
    cudaGetLastError(); /* clear a non-sticky error so the next op starts clean */
    openmed_status st = (e == cudaErrorMemoryAllocation) ? OPENMED_ERR_NO_MEMORY : OPENMED_ERR_DEVICE;
    return om_fail(err, st, "%s: %s: %s (%s)", c ? c->name : "cuda", what, cudaGetErrorString(e), cudaGetErrorName(e));
}

openmed_status om_cu_check_launch(om_cu_ctx *c, openmed_error *err, const char *what) {
    cudaError_t e = cudaGetLastError();
    return e == cudaSuccess ? OPENMED_OK : om_cu_fail(c, err, e, what);
}

static void cu_destroy(om_backend *be) {
    if (!be) return;
    om_cu_ctx *c = om_cu(be);
    if (c) {
        cudaSetDevice(c->ordinal);
        if (c->stream) cudaStreamSynchronize(c->stream);
        om_cu_buffer_free(&c->gemm_x);
        om_cu_buffer_free(&c->gemm_y);
        om_cu_buffer_free(&c->gemm_w);
        om_cu_buffer_free(&c->meta);
        om_cu_buffer_free(&c->meta2);
        if (c->blas) cublasDestroy(c->blas);
        if (c->stream) cudaStreamDestroy(c->stream);
        if (c->pool) cudaMemPoolTrimTo(c->pool, 0);
        free(c);
    }
    free(be);
}

static openmed_status open_fail(om_backend *be, openmed_status st) {
    cu_destroy(be);
    return st;
}

extern "C" __attribute__((visibility("default"))) long om_cuda_plugin_abi(void) {
    return om_cuda_plugin_abi_expected();
}

extern "C" __attribute__((visibility("default"))) openmed_status
om_cuda_plugin_open(int ordinal, int num_threads, om_backend **out, openmed_error *err) {
    char name[32];
    snprintf(name, sizeof name, "cuda:%d", ordinal);
    if (!out) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: no output backend pointer", name);
    *out = NULL;
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess || count == 0) {
        cudaGetLastError();
        const char *why = e == cudaSuccess                  ? "the driver reports 0 devices"
                        : e == cudaErrorInsufficientDriver ? "no NVIDIA driver, or one older than this CUDA runtime"
                        : e == cudaErrorNoDevice           ? "the driver found no CUDA-capable device"
                                                           : cudaGetErrorString(e);
        return om_fail(err, OPENMED_ERR_DEVICE, "%s: no CUDA device: %s", name, why);
    }
    if (ordinal < 0 || ordinal >= count)
        return om_fail(err, OPENMED_ERR_DEVICE, "%s: no such CUDA device: %d device%s present (cuda:0..cuda:%d)",
                       name, count, count == 1 ? "" : "s", count - 1);

    om_backend *be = (om_backend *)calloc(1, sizeof *be);
    om_cu_ctx *c = (om_cu_ctx *)calloc(1, sizeof *c);
    if (!be || !c) {
        free(be);
        free(c);
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of host memory for the backend", name);
    }
    be->ctx = c;
    c->ordinal = ordinal;
    c->compute = OM_F32;
    memcpy(c->name, name, sizeof name);
    be->name = c->name;

    if ((e = cudaSetDevice(ordinal)) != cudaSuccess) return open_fail(be, om_cu_fail(c, err, e, "selecting the device"));
    if ((e = cudaGetDeviceProperties(&c->prop, ordinal)) != cudaSuccess)
        return open_fail(be, om_cu_fail(c, err, e, "reading device properties"));
    if (c->prop.major < 7)
        return open_fail(be, om_fail(err, OPENMED_ERR_DEVICE, "%s: %s has compute capability %d.%d; OpenMed needs 7.0 or newer",
                                     name, c->prop.name, c->prop.major, c->prop.minor));
    if ((e = cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking)) != cudaSuccess)
        return open_fail(be, om_cu_fail(c, err, e, "creating a stream"));
    if ((e = cudaDeviceGetDefaultMemPool(&c->pool, ordinal)) != cudaSuccess)
        return open_fail(be, om_cu_fail(c, err, e, "getting the memory pool"));
    /* Keep freed activation memory in the pool instead of returning it to the driver. */
    uint64_t keep = UINT64_MAX;
    cudaMemPoolSetAttribute(c->pool, cudaMemPoolAttrReleaseThreshold, &keep);

    cublasStatus_t bs = cublasCreate(&c->blas);
    if (bs != CUBLAS_STATUS_SUCCESS)
        return open_fail(be, om_fail(err, OPENMED_ERR_DEVICE, "%s: cuBLAS initialization failed: %s", name,
                                     cublasGetStatusString(bs)));
    cublasSetStream(c->blas, c->stream);
    /* float32 GEMMs stay IEEE float32 (no TF32) so cuda matches cpu within 1e-4. */
    cublasSetMathMode(c->blas, CUBLAS_DEFAULT_MATH);

    be->destroy = cu_destroy;
    be->alloc = om_cu_alloc;
    be->free = om_cu_free;
    be->upload = om_cu_upload;
    be->download = om_cu_download;
    be->synchronize = om_cu_synchronize;
    be->prepare_weight = om_cu_prepare_weight;
    be->release_weight = om_cu_release_weight;
    be->prepare_vector = om_cu_prepare_vector;
    be->release_vector = om_cu_release_vector;
    be->linear = om_cu_linear;
    be->layernorm = om_cu_layernorm;
    be->rmsnorm = om_cu_rmsnorm;
    be->embed = om_cu_embed;
    be->add = om_cu_add;
    be->scale = om_cu_scale;
    be->activate = om_cu_activate;
    be->glu = om_cu_glu;
    be->attention = om_cu_attention;
    be->rope = om_cu_rope;
    be->deberta_rel_bias = om_cu_deberta_rel_bias;
    be->moe_route = om_cu_moe_route;
    be->moe_experts = om_cu_moe_experts;
    be->set_precision = om_cu_set_precision;
    *out = be;
    return OPENMED_OK;
}
