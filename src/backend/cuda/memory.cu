/* memory.cu: device memory (a stream-ordered pool for activations), host<->device copies, and
 * one-time upload of weights and vectors. */
#include <stdlib.h>
#include <string.h>

#include "backend/cuda/cuda_internal.h"

openmed_status om_cu_buffer_reserve(om_cu_ctx *c, om_cu_buffer *buf, size_t bytes, const char *what,
                                    openmed_error *err) {
    if (buf->bytes >= bytes) return OPENMED_OK;
    size_t want = bytes + bytes / 4 + 256; /* grow with headroom so steady state never reallocates */
    if (buf->ptr) cudaFree(buf->ptr);     /* waits for kernels still using it */
    buf->ptr = NULL;
    buf->bytes = 0;
    cudaError_t e = cudaMalloc(&buf->ptr, want);
    if (e != cudaSuccess) {
        cudaGetLastError();
        buf->ptr = NULL;
        size_t free_b = 0, total_b = 0;
        cudaMemGetInfo(&free_b, &total_b);
        return om_fail(err, e == cudaErrorMemoryAllocation ? OPENMED_ERR_NO_MEMORY : OPENMED_ERR_DEVICE,
                       "%s: out of device memory for %s: asked for %zu bytes, %zu of %zu free (%s)", c->name, what,
                       want, free_b, total_b, cudaGetErrorString(e));
    }
    buf->bytes = want;
    return OPENMED_OK;
}

void om_cu_buffer_free(om_cu_buffer *buf) {
    if (buf->ptr) cudaFree(buf->ptr);
    buf->ptr = NULL;
    buf->bytes = 0;
}

openmed_status om_cu_upload_meta(om_cu_ctx *c, om_cu_buffer *buf, const void *host, size_t bytes,
                                 const char *what, openmed_error *err) {
    openmed_status st = om_cu_buffer_reserve(c, buf, bytes, what, err);
    if (st != OPENMED_OK) return st;
    /* From pageable memory the runtime stages the bytes before returning, so the caller may reuse
     * `host` at once; stream order keeps the previous user of buf finished before the copy lands. */
    cudaError_t e = cudaMemcpyAsync(buf->ptr, host, bytes, cudaMemcpyHostToDevice, c->stream);
    return e == cudaSuccess ? OPENMED_OK : om_cu_fail(c, err, e, what);
}

void *om_cu_alloc(om_backend *be, size_t bytes) {
    om_cu_ctx *c = om_cu_enter(be);
    void *p = NULL;
    if (bytes == 0) bytes = 1;
    if (cudaMallocAsync(&p, bytes, c->stream) != cudaSuccess) {
        cudaGetLastError();
        return NULL;
    }
    return p;
}

void om_cu_free(om_backend *be, void *p) {
    if (!p) return;
    om_cu_ctx *c = om_cu_enter(be);
    cudaFreeAsync(p, c->stream); /* returns to the pool once the stream's earlier work is done */
}

openmed_status om_cu_upload(om_backend *be, void *dst, const void *src, size_t bytes, openmed_error *err) {
    om_cu_ctx *c = om_cu_enter(be);
    cudaError_t e = cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, c->stream);
    return e == cudaSuccess ? OPENMED_OK : om_cu_fail(c, err, e, "upload");
}

openmed_status om_cu_download(om_backend *be, void *dst, const void *src, size_t bytes, openmed_error *err) {
    om_cu_ctx *c = om_cu_enter(be);
    cudaError_t e = cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, c->stream);
    if (e == cudaSuccess) e = cudaStreamSynchronize(c->stream); /* the host reads dst next */
    return e == cudaSuccess ? OPENMED_OK : om_cu_fail(c, err, e, "download");
}

openmed_status om_cu_synchronize(om_backend *be, openmed_error *err) {
    om_cu_ctx *c = om_cu_enter(be);
    cudaError_t e = cudaStreamSynchronize(c->stream);
    return e == cudaSuccess ? OPENMED_OK : om_cu_fail(c, err, e, "synchronize");
}

/* Persistent device memory for weights (not the activation pool), with an out-of-memory message
 * that names the bytes asked for and what was free. */
static openmed_status weight_alloc(om_cu_ctx *c, void **p, size_t bytes, const char *what, openmed_error *err) {
    cudaError_t e = cudaMalloc(p, bytes ? bytes : 1);
    if (e == cudaSuccess) {
        return OPENMED_OK;
    }
    cudaGetLastError();
    *p = NULL;
    size_t free_b = 0, total_b = 0;
    cudaMemGetInfo(&free_b, &total_b);
    return om_fail(err, e == cudaErrorMemoryAllocation ? OPENMED_ERR_NO_MEMORY : OPENMED_ERR_DEVICE,
                   "%s: out of device memory uploading %s: asked for %zu bytes, %zu of %zu free, %lld already "
                   "held by this model's weights (%s)",
                   c->name, what, bytes, free_b, total_b, (long long)c->weight_bytes, cudaGetErrorString(e));
}

/* Weights: upload once. With float32 compute, f16/bf16 weights become float32 on the device (the
 * numbers the cpu backend computes with) unless keep_dtype, in which case linear widens them per
 * call. With f16/bf16 compute (set_precision), float32 weights are stored in the compute dtype and
 * 16-bit weights stay as they are. w->data becomes the device copy. */
openmed_status om_cu_prepare_weight(om_backend *be, om_weight *w, int keep_dtype, openmed_error *err) {
    om_cu_ctx *c = om_cu_enter(be);
    if (!w || !w->data || w->rows <= 0 || w->cols <= 0)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: prepare_weight: empty weight", c->name);
    if (w->dtype != OM_F32 && w->dtype != OM_F16 && w->dtype != OM_BF16)
        return om_fail(err, OPENMED_ERR_UNSUPPORTED, "%s: prepare_weight: unknown dtype %d", c->name, (int)w->dtype);
    int64_t n = w->rows * w->cols;
    size_t src_bytes = (size_t)n * om_cu_dtype_size(w->dtype);
    om_dtype dst_dtype;
    if (c->compute != OM_F32)
        dst_dtype = w->dtype == OM_F32 ? c->compute : w->dtype;
    else
        dst_dtype = (keep_dtype || w->dtype == OM_F32) ? w->dtype : OM_F32;
    size_t dst_bytes = (size_t)n * om_cu_dtype_size(dst_dtype);
    char what[96];
    snprintf(what, sizeof what, "a [%lld, %lld] weight", (long long)w->rows, (long long)w->cols);

    void *dev = NULL;
    openmed_status st = weight_alloc(c, &dev, dst_bytes, what, err);
    if (st != OPENMED_OK) return st;
    c->weight_bytes += (int64_t)dst_bytes;
    cudaError_t e;
    if (dst_dtype == w->dtype) {
        e = cudaMemcpyAsync(dev, w->data, src_bytes, cudaMemcpyHostToDevice, c->stream);
    } else {
        om_cu_buffer tmp = {NULL, 0};
        st = om_cu_buffer_reserve(c, &tmp, src_bytes, what, err);
        if (st != OPENMED_OK) {
            cudaFree(dev);
            c->weight_bytes -= (int64_t)dst_bytes;
            return st;
        }
        e = cudaMemcpyAsync(tmp.ptr, w->data, src_bytes, cudaMemcpyHostToDevice, c->stream);
        if (e == cudaSuccess) om_cu_convert(c, dev, dst_dtype, tmp.ptr, w->dtype, n);
        if (e == cudaSuccess) e = cudaStreamSynchronize(c->stream);
        om_cu_buffer_free(&tmp);
    }
    /* The host copy may be an mmap that goes away after load: finish before returning. */
    if (e == cudaSuccess) e = cudaStreamSynchronize(c->stream);
    if (e != cudaSuccess) {
        cudaFree(dev);
        c->weight_bytes -= (int64_t)dst_bytes;
        return om_cu_fail(c, err, e, "prepare_weight upload");
    }
    w->data = dev;
    w->dtype = dst_dtype;
    w->backend_private = dev;
    return OPENMED_OK;
}

void om_cu_release_weight(om_backend *be, om_weight *w) {
    if (!w || !w->backend_private) return;
    om_cu_ctx *c = om_cu_enter(be);
    cudaStreamSynchronize(c->stream);
    c->weight_bytes -= w->rows * w->cols * (int64_t)om_cu_dtype_size(w->dtype);
    cudaFree(w->backend_private);
    w->backend_private = NULL;
    w->data = NULL;
}

const float *om_cu_prepare_vector(om_backend *be, const float *host, int64_t n, openmed_error *err) {
    om_cu_ctx *c = om_cu_enter(be);
    if (!host || n <= 0) {
        om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: prepare_vector: empty vector", c->name);
        return NULL;
    }
    char what[64];
    snprintf(what, sizeof what, "a vector of %lld floats", (long long)n);
    void *dev = NULL;
    if (weight_alloc(c, &dev, (size_t)n * sizeof(float), what, err) != OPENMED_OK) return NULL;
    cudaError_t e = cudaMemcpyAsync(dev, host, (size_t)n * sizeof(float), cudaMemcpyHostToDevice, c->stream);
    if (e == cudaSuccess) e = cudaStreamSynchronize(c->stream);
    if (e != cudaSuccess) {
        cudaFree(dev);
        om_cu_fail(c, err, e, "prepare_vector upload");
        return NULL;
    }
    return (const float *)dev;
}

void om_cu_release_vector(om_backend *be, const float *p) {
    if (!p) return;
    om_cu_ctx *c = om_cu_enter(be);
    cudaStreamSynchronize(c->stream);
    cudaFree((void *)p);
}

openmed_status om_cu_set_precision(om_backend *be, om_dtype compute, openmed_error *err) {
    om_cu_ctx *c = om_cu_enter(be);
    if (compute != OM_F32 && compute != OM_F16 && compute != OM_BF16)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: set_precision: unknown dtype %d", c->name, (int)compute);
    c->compute = compute;
    return OPENMED_OK;
}
