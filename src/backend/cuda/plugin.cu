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

/* Ops may be called from several threads on one backend (pipelines sharing a model): each op
 * enqueues its work under the backend's lock, so scratch buffers and the stream order stay
 * consistent; the device then runs the ops one after another. */
#define LOCKED(ret, name, params, args)                  \
    static ret locked_##name params {                    \
        om_cu_ctx *c = om_cu(be);                        \
        pthread_mutex_lock(&c->lock);                    \
        ret result_ = om_cu_##name args;                 \
        pthread_mutex_unlock(&c->lock);                  \
        return result_;                                  \
    }
#define LOCKED_VOID(name, params, args)                  \
    static void locked_##name params {                   \
        om_cu_ctx *c = om_cu(be);                        \
        pthread_mutex_lock(&c->lock);                    \
        om_cu_##name args;                               \
        pthread_mutex_unlock(&c->lock);                  \
    }
LOCKED(void *, alloc, (om_backend * be, size_t bytes), (be, bytes))
LOCKED_VOID(free, (om_backend * be, void *p), (be, p))
LOCKED(openmed_status, upload, (om_backend * be, void *d, const void *s, size_t n, openmed_error *e), (be, d, s, n, e))
LOCKED(openmed_status, download, (om_backend * be, void *d, const void *s, size_t n, openmed_error *e), (be, d, s, n, e))
LOCKED(openmed_status, synchronize, (om_backend * be, openmed_error *e), (be, e))
LOCKED(openmed_status, prepare_weight, (om_backend * be, om_weight *w, int keep, openmed_error *e), (be, w, keep, e))
LOCKED_VOID(release_weight, (om_backend * be, om_weight *w), (be, w))
LOCKED(const float *, prepare_vector, (om_backend * be, const float *h, int64_t n, openmed_error *e), (be, h, n, e))
LOCKED_VOID(release_vector, (om_backend * be, const float *p), (be, p))
LOCKED(openmed_status, linear,
       (om_backend * be, float *y, int64_t ys, const float *x, int64_t xs, const om_weight *w, const float *b, int64_t M,
        om_act act, int acc, openmed_error *e),
       (be, y, ys, x, xs, w, b, M, act, acc, e))
LOCKED(openmed_status, layernorm,
       (om_backend * be, float *y, const float *x, const float *r, const float *g, const float *b, int64_t M, int64_t D,
        float eps, openmed_error *e),
       (be, y, x, r, g, b, M, D, eps, e))
LOCKED(openmed_status, rmsnorm,
       (om_backend * be, float *y, const float *x, const float *g, int64_t M, int64_t D, float eps, openmed_error *e),
       (be, y, x, g, M, D, eps, e))
LOCKED(openmed_status, embed,
       (om_backend * be, float *y, const om_weight *t, const int32_t *ids, int64_t M, int acc, openmed_error *e),
       (be, y, t, ids, M, acc, e))
LOCKED(openmed_status, add, (om_backend * be, float *y, const float *a, const float *b, int64_t n, openmed_error *e),
       (be, y, a, b, n, e))
LOCKED(openmed_status, scale, (om_backend * be, float *y, const float *x, float s, int64_t n, openmed_error *e),
       (be, y, x, s, n, e))
LOCKED(openmed_status, activate, (om_backend * be, float *y, const float *x, int64_t n, om_act act, openmed_error *e),
       (be, y, x, n, act, e))
LOCKED(openmed_status, glu,
       (om_backend * be, float *y, const float *x, int64_t M, int64_t F, om_act act, openmed_error *e),
       (be, y, x, M, F, act, e))
LOCKED(openmed_status, attention, (om_backend * be, const om_attention_args *a, openmed_error *e), (be, a, e))
LOCKED(openmed_status, rope, (om_backend * be, const om_rope_args *a, openmed_error *e), (be, a, e))
LOCKED(openmed_status, deberta_rel_bias,
       (om_backend * be, float *bias, const float *c2p, const float *p2c, int n_rel, const int32_t *rel, int max_len,
        const int32_t *cu, int n_seqs, int n_heads, float scale, openmed_error *e),
       (be, bias, c2p, p2c, n_rel, rel, max_len, cu, n_seqs, n_heads, scale, e))
LOCKED(openmed_status, moe_route,
       (om_backend * be, int32_t *ids, float *w, const float *logits, int64_t M, int E, int k, openmed_error *e),
       (be, ids, w, logits, M, E, k, e))
LOCKED(openmed_status, moe_experts,
       (om_backend * be, float *y, const float *x, int64_t M, const int32_t *ids, const float *w, int k,
        const om_moe_experts *ex, openmed_error *e),
       (be, y, x, M, ids, w, k, ex, e))
LOCKED(openmed_status, set_precision, (om_backend * be, om_dtype dt, openmed_error *e), (be, dt, e))

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
        om_cu_buffer_free(&c->lt_ws);
        if (c->lt) cublasLtDestroy(c->lt);
        if (c->blas) cublasDestroy(c->blas);
        if (c->stream) cudaStreamDestroy(c->stream);
        if (c->pool) cudaMemPoolTrimTo(c->pool, 0);
        pthread_mutex_destroy(&c->lock);
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
    pthread_mutex_init(&c->lock, NULL);
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
    /* without cuBLASLt, linears add their bias in their own kernel */
    if (cublasLtCreate(&c->lt) != CUBLAS_STATUS_SUCCESS) c->lt = NULL;

    be->destroy = cu_destroy;
    be->alloc = locked_alloc;
    be->free = locked_free;
    be->upload = locked_upload;
    be->download = locked_download;
    be->synchronize = locked_synchronize;
    be->prepare_weight = locked_prepare_weight;
    be->release_weight = locked_release_weight;
    be->prepare_vector = locked_prepare_vector;
    be->release_vector = locked_release_vector;
    be->linear = locked_linear;
    be->layernorm = locked_layernorm;
    be->rmsnorm = locked_rmsnorm;
    be->embed = locked_embed;
    be->add = locked_add;
    be->scale = locked_scale;
    be->activate = locked_activate;
    be->glu = locked_glu;
    be->attention = locked_attention;
    be->rope = locked_rope;
    be->deberta_rel_bias = locked_deberta_rel_bias;
    be->moe_route = locked_moe_route;
    be->moe_experts = locked_moe_experts;
    be->set_precision = locked_set_precision;
    *out = be;
    return OPENMED_OK;
}
