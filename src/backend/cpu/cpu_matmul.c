/* cpu_matmul.c: linear layers on oneDNN's matmul with weights packed once, at load, into the layout
 * the matmul chose for this CPU: float32 (where oneDNN has a blocked kernel for it, AVX-512 and up),
 * int8 (dynamic quantization) and bf16. oneDNN picks its kernels (AVX2, AVX-512, VNNI, BF16, AMX) at
 * run time; ONEDNN_MAX_CPU_ISA caps them.
 *
 * float32: the weights are reordered as they are. The matmul adds the bias and applies GELU and the
 * accumulation onto y as post-ops, so a layer is one pass over its output; other activations and
 * strided operands go through a dense scratch and the epilogue below.
 *
 * int8: weights symmetric per output channel, w[n, k] ~ sw[n] * qw[n, k] (qw in [-127, 127], or
 * [-63, 63] where the CPU has no VNNI: the AVX2 / AVX-512F u8 x s8 kernels add pairs of products in
 * saturating 16-bit lanes, 255 * 63 * 2 fits, 255 * 127 * 2 does not). Activations asymmetric u8 per
 * token (row): x[m, k] ~ sx[m] * (qx[m, k] - zx[m]), the row's range widened to hold 0. oneDNN's
 * u8 x s8 -> s32 matmul runs without attributes: in oneDNN 2.6 run-time output scales or source zero
 * points send it to its slow gemm path (about 4x slower, measured), so the per-token scale and zero
 * point are applied in the epilogue here: y = sx[m] sw[n] (acc[m, n] - zx[m] sum_k qw[n, k]) + b[n].
 *
 * bf16: weights rounded to bf16 once (bf16 checkpoints are reordered as stored); activations rounded
 * to bf16 by a oneDNN reorder per call; products accumulate in float32. */
#include <oneapi/dnnl/dnnl.h>
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cpu/cpu.h"
#include "core/error.h"

struct om_cpu_packed {
    om_dtype compute; /* OM_F32, OM_I8 or OM_BF16 */
    int64_t N, K;
    dnnl_memory_desc_t layout; /* the weights' packed layout, [K, N] as oneDNN's matmul sees them */
    void *data;
    float *scale;    /* int8: sw[n] */
    int32_t *colsum; /* int8: sum_k qw[n, k] */
};

/* Rows are padded to a multiple of this, so a pipeline's many batch shapes reuse few primitives
 * (oneDNN caches them by shape; a new shape costs a JIT compile of ~1-15 ms). */
#define ROW_ALIGN 16
/* The row count the packed layout is chosen for; the same layout serves every row count. */
#define LAYOUT_ROWS 1024

/* oneDNN is loaded at run time (cpu_gemm.c): its matmul and reorder entry points are looked up
 * in that library once. */
static __typeof__(&dnnl_engine_create) p_dnnl_engine_create;
static __typeof__(&dnnl_get_effective_cpu_isa) p_dnnl_get_effective_cpu_isa;
static __typeof__(&dnnl_matmul_desc_init) p_dnnl_matmul_desc_init;
static __typeof__(&dnnl_memory_create) p_dnnl_memory_create;
static __typeof__(&dnnl_memory_desc_get_size) p_dnnl_memory_desc_get_size;
static __typeof__(&dnnl_memory_desc_init_by_strides) p_dnnl_memory_desc_init_by_strides;
static __typeof__(&dnnl_memory_desc_init_by_tag) p_dnnl_memory_desc_init_by_tag;
static __typeof__(&dnnl_memory_destroy) p_dnnl_memory_destroy;
static __typeof__(&dnnl_primitive_attr_create) p_dnnl_primitive_attr_create;
static __typeof__(&dnnl_primitive_attr_destroy) p_dnnl_primitive_attr_destroy;
static __typeof__(&dnnl_primitive_attr_set_scratchpad_mode) p_dnnl_primitive_attr_set_scratchpad_mode;
static __typeof__(&dnnl_primitive_attr_set_post_ops) p_dnnl_primitive_attr_set_post_ops;
static __typeof__(&dnnl_post_ops_create) p_dnnl_post_ops_create;
static __typeof__(&dnnl_post_ops_destroy) p_dnnl_post_ops_destroy;
static __typeof__(&dnnl_post_ops_append_eltwise) p_dnnl_post_ops_append_eltwise;
static __typeof__(&dnnl_post_ops_append_sum) p_dnnl_post_ops_append_sum;
static __typeof__(&dnnl_primitive_create) p_dnnl_primitive_create;
static __typeof__(&dnnl_primitive_desc_create) p_dnnl_primitive_desc_create;
static __typeof__(&dnnl_primitive_desc_destroy) p_dnnl_primitive_desc_destroy;
static __typeof__(&dnnl_primitive_desc_query) p_dnnl_primitive_desc_query;
static __typeof__(&dnnl_primitive_desc_query_md) p_dnnl_primitive_desc_query_md;
static __typeof__(&dnnl_primitive_destroy) p_dnnl_primitive_destroy;
static __typeof__(&dnnl_primitive_execute) p_dnnl_primitive_execute;
static __typeof__(&dnnl_reorder_primitive_desc_create) p_dnnl_reorder_primitive_desc_create;
static __typeof__(&dnnl_stream_create) p_dnnl_stream_create;
static __typeof__(&dnnl_stream_destroy) p_dnnl_stream_destroy;
static __typeof__(&dnnl_stream_wait) p_dnnl_stream_wait;

static int resolve_dnnl(void) {
    if (om_cpu_gemm_load(NULL) != OPENMED_OK) return 0;
    void *h = om_cpu_gemm_library(); /* RTLD_DEFAULT (NULL) where oneDNN is linked at start */
    if (!(p_dnnl_engine_create = (__typeof__(&dnnl_engine_create))dlsym(h, "dnnl_engine_create"))) return 0;
    if (!(p_dnnl_get_effective_cpu_isa = (__typeof__(&dnnl_get_effective_cpu_isa))dlsym(h, "dnnl_get_effective_cpu_isa"))) return 0;
    if (!(p_dnnl_matmul_desc_init = (__typeof__(&dnnl_matmul_desc_init))dlsym(h, "dnnl_matmul_desc_init"))) return 0;
    if (!(p_dnnl_memory_create = (__typeof__(&dnnl_memory_create))dlsym(h, "dnnl_memory_create"))) return 0;
    if (!(p_dnnl_memory_desc_get_size = (__typeof__(&dnnl_memory_desc_get_size))dlsym(h, "dnnl_memory_desc_get_size"))) return 0;
    if (!(p_dnnl_memory_desc_init_by_strides = (__typeof__(&dnnl_memory_desc_init_by_strides))dlsym(h, "dnnl_memory_desc_init_by_strides"))) return 0;
    if (!(p_dnnl_memory_desc_init_by_tag = (__typeof__(&dnnl_memory_desc_init_by_tag))dlsym(h, "dnnl_memory_desc_init_by_tag"))) return 0;
    if (!(p_dnnl_memory_destroy = (__typeof__(&dnnl_memory_destroy))dlsym(h, "dnnl_memory_destroy"))) return 0;
    if (!(p_dnnl_primitive_attr_create = (__typeof__(&dnnl_primitive_attr_create))dlsym(h, "dnnl_primitive_attr_create"))) return 0;
    if (!(p_dnnl_primitive_attr_destroy = (__typeof__(&dnnl_primitive_attr_destroy))dlsym(h, "dnnl_primitive_attr_destroy"))) return 0;
    if (!(p_dnnl_primitive_attr_set_scratchpad_mode = (__typeof__(&dnnl_primitive_attr_set_scratchpad_mode))dlsym(h, "dnnl_primitive_attr_set_scratchpad_mode"))) return 0;
    if (!(p_dnnl_primitive_attr_set_post_ops = (__typeof__(&dnnl_primitive_attr_set_post_ops))dlsym(h, "dnnl_primitive_attr_set_post_ops"))) return 0;
    if (!(p_dnnl_post_ops_create = (__typeof__(&dnnl_post_ops_create))dlsym(h, "dnnl_post_ops_create"))) return 0;
    if (!(p_dnnl_post_ops_destroy = (__typeof__(&dnnl_post_ops_destroy))dlsym(h, "dnnl_post_ops_destroy"))) return 0;
    if (!(p_dnnl_post_ops_append_eltwise = (__typeof__(&dnnl_post_ops_append_eltwise))dlsym(h, "dnnl_post_ops_append_eltwise"))) return 0;
    if (!(p_dnnl_post_ops_append_sum = (__typeof__(&dnnl_post_ops_append_sum))dlsym(h, "dnnl_post_ops_append_sum"))) return 0;
    if (!(p_dnnl_primitive_create = (__typeof__(&dnnl_primitive_create))dlsym(h, "dnnl_primitive_create"))) return 0;
    if (!(p_dnnl_primitive_desc_create = (__typeof__(&dnnl_primitive_desc_create))dlsym(h, "dnnl_primitive_desc_create"))) return 0;
    if (!(p_dnnl_primitive_desc_destroy = (__typeof__(&dnnl_primitive_desc_destroy))dlsym(h, "dnnl_primitive_desc_destroy"))) return 0;
    if (!(p_dnnl_primitive_desc_query = (__typeof__(&dnnl_primitive_desc_query))dlsym(h, "dnnl_primitive_desc_query"))) return 0;
    if (!(p_dnnl_primitive_desc_query_md = (__typeof__(&dnnl_primitive_desc_query_md))dlsym(h, "dnnl_primitive_desc_query_md"))) return 0;
    if (!(p_dnnl_primitive_destroy = (__typeof__(&dnnl_primitive_destroy))dlsym(h, "dnnl_primitive_destroy"))) return 0;
    if (!(p_dnnl_primitive_execute = (__typeof__(&dnnl_primitive_execute))dlsym(h, "dnnl_primitive_execute"))) return 0;
    if (!(p_dnnl_reorder_primitive_desc_create = (__typeof__(&dnnl_reorder_primitive_desc_create))dlsym(h, "dnnl_reorder_primitive_desc_create"))) return 0;
    if (!(p_dnnl_stream_create = (__typeof__(&dnnl_stream_create))dlsym(h, "dnnl_stream_create"))) return 0;
    if (!(p_dnnl_stream_destroy = (__typeof__(&dnnl_stream_destroy))dlsym(h, "dnnl_stream_destroy"))) return 0;
    if (!(p_dnnl_stream_wait = (__typeof__(&dnnl_stream_wait))dlsym(h, "dnnl_stream_wait"))) return 0;
    return 1;
}

static dnnl_engine_t engine;
static dnnl_status_t engine_status = dnnl_runtime_error;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;

static void engine_create(void) {
    engine_status = resolve_dnnl() ? p_dnnl_engine_create(&engine, dnnl_cpu, 0) : dnnl_runtime_error;
}

static openmed_status need_engine(openmed_error *err) {
    pthread_once(&engine_once, engine_create);
    if (engine_status != dnnl_success)
        return om_fail(err, OPENMED_ERR_INTERNAL, "cpu: cannot create the oneDNN CPU engine (status %d)",
                       (int)engine_status);
    return OPENMED_OK;
}

static const char *compute_name(om_dtype c) { return c == OM_I8 ? "int8" : c == OM_BF16 ? "bf16" : "float32"; }

/* 1 where oneDNN's int8 kernels multiply u8 x s8 without 16-bit saturation (VNNI). */
static int int8_full_range(void) {
    dnnl_cpu_isa_t isa = p_dnnl_get_effective_cpu_isa();
    return (isa & dnnl_cpu_isa_avx512_core_vnni) == dnnl_cpu_isa_avx512_core_vnni;
}

/* What one matmul call does besides the product: add the bias, apply GELU (exact erf), add the
 * product onto what dst holds; in that order. */
typedef struct fusion {
    int bias, gelu, sum;
} fusion;

/* The matmul [M, K] x [K, N] -> [M, N] for compute c: weights in `layout` (NULL: let oneDNN choose),
 * dense source and destination, user-managed scratchpad, fusions f (NULL: none). */
static dnnl_status_t matmul_pd(om_dtype c, int64_t M, int64_t K, int64_t N, const dnnl_memory_desc_t *layout,
                               const fusion *f, dnnl_primitive_desc_t *pd) {
    dnnl_memory_desc_t src, wei, dst, bias;
    dnnl_data_type_t sdt = c == OM_I8 ? dnnl_u8 : c == OM_BF16 ? dnnl_bf16 : dnnl_f32,
                     wdt = c == OM_I8 ? dnnl_s8 : c == OM_BF16 ? dnnl_bf16 : dnnl_f32;
    dnnl_status_t st;
    if ((st = p_dnnl_memory_desc_init_by_tag(&src, 2, (dnnl_dims_t){M, K}, sdt, dnnl_ab)) != dnnl_success ||
        (st = p_dnnl_memory_desc_init_by_tag(&dst, 2, (dnnl_dims_t){M, N}, c == OM_I8 ? dnnl_s32 : dnnl_f32,
                                           dnnl_ab)) != dnnl_success ||
        (st = p_dnnl_memory_desc_init_by_tag(&bias, 2, (dnnl_dims_t){1, N}, dnnl_f32, dnnl_ab)) != dnnl_success)
        return st;
    if (layout) wei = *layout;
    else if ((st = p_dnnl_memory_desc_init_by_tag(&wei, 2, (dnnl_dims_t){K, N}, wdt, dnnl_format_tag_any)) != dnnl_success)
        return st;
    dnnl_matmul_desc_t desc;
    if ((st = p_dnnl_matmul_desc_init(&desc, &src, &wei, f && f->bias ? &bias : NULL, &dst)) != dnnl_success) return st;
    dnnl_primitive_attr_t attr;
    dnnl_post_ops_t ops = NULL;
    if ((st = p_dnnl_primitive_attr_create(&attr)) != dnnl_success) return st;
    st = p_dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    if (st == dnnl_success && f && (f->gelu || f->sum)) {
        st = p_dnnl_post_ops_create(&ops);
        if (st == dnnl_success && f->gelu) st = p_dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_gelu_erf, 0.0f, 0.0f);
        if (st == dnnl_success && f->sum) st = p_dnnl_post_ops_append_sum(ops, 1.0f);
        if (st == dnnl_success) st = p_dnnl_primitive_attr_set_post_ops(attr, ops);
    }
    if (st == dnnl_success) st = p_dnnl_primitive_desc_create(pd, &desc, attr, engine, NULL);
    if (ops) p_dnnl_post_ops_destroy(ops);
    p_dnnl_primitive_attr_destroy(attr);
    return st;
}

/* Reorder src (memory desc + handle) into dst (desc + handle) with oneDNN. */
static dnnl_status_t reorder(const dnnl_memory_desc_t *smd, void *s, const dnnl_memory_desc_t *dmd, void *d,
                             dnnl_stream_t stream) {
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t prim = NULL;
    dnnl_memory_t ms = NULL, md = NULL;
    dnnl_status_t st = p_dnnl_reorder_primitive_desc_create(&pd, smd, engine, dmd, engine, NULL);
    if (st == dnnl_success) st = p_dnnl_primitive_create(&prim, pd);
    if (st == dnnl_success) st = p_dnnl_memory_create(&ms, smd, engine, s);
    if (st == dnnl_success) st = p_dnnl_memory_create(&md, dmd, engine, d);
    if (st == dnnl_success) {
        dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, ms}, {DNNL_ARG_TO, md}};
        st = p_dnnl_primitive_execute(prim, stream, 2, args);
    }
    if (st == dnnl_success) st = p_dnnl_stream_wait(stream);
    p_dnnl_memory_destroy(ms);
    p_dnnl_memory_destroy(md);
    p_dnnl_primitive_destroy(prim);
    p_dnnl_primitive_desc_destroy(pd);
    return st;
}

void om_cpu_packed_free(om_cpu_packed *p) {
    if (!p) return;
    free(p->data);
    free(p->scale);
    free(p->colsum);
    free(p);
}

size_t om_cpu_packed_bytes(const om_cpu_packed *p) {
    if (!p) return 0;
    size_t n = p_dnnl_memory_desc_get_size(&p->layout);
    if (p->compute == OM_I8) n += (size_t)p->N * (sizeof(float) + sizeof(int32_t));
    return n;
}

openmed_status om_cpu_pack_weight(const om_weight *w, om_dtype compute, om_cpu_packed **out, openmed_error *err) {
    *out = NULL;
    if (compute != OM_F32 && compute != OM_I8 && compute != OM_BF16)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "cpu: cannot pack a weight for compute dtype %d", (int)compute);
    openmed_status s = need_engine(err);
    if (s != OPENMED_OK) return s;
    const int64_t N = w->rows, K = w->cols;
    const size_t esize = om_dtype_size(w->dtype);
    /* The weights as oneDNN reads them before the reorder: quantized (int8), as stored where the
     * stored dtype is the compute's and aligned for it, else converted to float32. */
    const int as_stored = compute != OM_I8 && w->dtype == compute && (uintptr_t)w->data % esize == 0;
    om_cpu_packed *p = calloc(1, sizeof *p);
    float *row = compute == OM_I8 ? malloc((size_t)K * sizeof(float)) : NULL;
    void *plain = as_stored ? NULL : malloc((size_t)N * (size_t)K * (compute == OM_I8 ? 1 : sizeof(float)));
    dnnl_primitive_desc_t pd = NULL;
    dnnl_stream_t stream = NULL;
    dnnl_status_t st = dnnl_success;
    if (!p || (compute == OM_I8 && !row) || (!as_stored && !plain) ||
        (compute == OM_I8 && (!(p->scale = malloc((size_t)N * sizeof(float))) ||
                              !(p->colsum = malloc((size_t)N * sizeof(int32_t)))))) {
        s = om_fail(err, OPENMED_ERR_NO_MEMORY, "cpu: out of memory packing a [%lld, %lld] weight for %s",
                    (long long)N, (long long)K, compute_name(compute));
        goto done;
    }
    p->compute = compute;
    p->N = N;
    p->K = K;
    dnnl_data_type_t plain_dt = dnnl_f32;
    if (compute == OM_I8) {
        plain_dt = dnnl_s8;
        const float qmax = int8_full_range() ? 127.0f : 63.0f;
        int8_t *q = plain;
        for (int64_t n = 0; n < N; n++) {
            om_cpu_to_f32(row, (const unsigned char *)w->data + (size_t)n * (size_t)K * esize, w->dtype, K);
            float amax = 0.0f;
            for (int64_t k = 0; k < K; k++) amax = fmaxf(amax, fabsf(row[k]));
            float scale = amax > 0.0f && isfinite(amax) ? amax / qmax : 1.0f, inv = 1.0f / scale;
            int32_t sum = 0;
            for (int64_t k = 0; k < K; k++) {
                float v = nearbyintf(row[k] * inv);
                v = v > qmax ? qmax : v < -qmax ? -qmax : v;
                q[n * K + k] = (int8_t)v;
                sum += (int32_t)v;
            }
            p->scale[n] = scale;
            p->colsum[n] = sum;
        }
    } else if (as_stored) {
        plain_dt = compute == OM_BF16 ? dnnl_bf16 : dnnl_f32;
    } else {
        float *f = plain;
        for (int64_t n = 0; n < N; n++)
            om_cpu_to_f32(f + n * K, (const unsigned char *)w->data + (size_t)n * (size_t)K * esize, w->dtype, K);
    }
    /* the layout the matmul wants, then the weights reordered into it ([N, K] row-major is [K, N] "ba") */
    dnnl_memory_desc_t plain_md;
    if ((st = matmul_pd(compute, LAYOUT_ROWS, K, N, NULL, NULL, &pd)) != dnnl_success ||
        (st = p_dnnl_memory_desc_init_by_tag(&plain_md, 2, (dnnl_dims_t){K, N}, plain_dt, dnnl_ba)) != dnnl_success)
        goto dnnl_failed;
    p->layout = *p_dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    size_t bytes = p_dnnl_memory_desc_get_size(&p->layout);
    if (posix_memalign(&p->data, 64, bytes ? bytes : 64) != 0) {
        p->data = NULL;
        s = om_fail(err, OPENMED_ERR_NO_MEMORY, "cpu: out of memory packing a [%lld, %lld] weight for %s",
                    (long long)N, (long long)K, compute_name(compute));
        goto done;
    }
    if ((st = p_dnnl_stream_create(&stream, engine, dnnl_stream_default_flags)) != dnnl_success ||
        (st = reorder(&plain_md, as_stored ? (void *)w->data : plain, &p->layout, p->data, stream)) != dnnl_success)
        goto dnnl_failed;
    goto done;
dnnl_failed:
    s = om_fail(err, st == dnnl_unimplemented ? OPENMED_ERR_UNSUPPORTED : OPENMED_ERR_INTERNAL,
                "cpu: oneDNN cannot pack a [%lld, %lld] weight for %s matmul on this CPU (status %d)", (long long)N,
                (long long)K, compute_name(compute), (int)st);
done:
    if (stream) p_dnnl_stream_destroy(stream);
    if (pd) p_dnnl_primitive_desc_destroy(pd);
    free(row);
    free(plain);
    if (s != OPENMED_OK) om_cpu_packed_free(p);
    else *out = p;
    return s;
}

openmed_status om_cpu_matmul_probe(om_dtype compute, char *impl, size_t size, openmed_error *err) {
    openmed_status s = need_engine(err);
    if (s != OPENMED_OK) return s;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t st = matmul_pd(compute, 128, 768, 768, NULL, NULL, &pd);
    if (st != dnnl_success)
        return om_fail(err, OPENMED_ERR_UNSUPPORTED, "cpu: oneDNN has no %s matmul for this CPU (%s; status %d)",
                       compute_name(compute), compute == OM_BF16 ? "bf16 needs AVX-512" : "int8", (int)st);
    const char *name = NULL;
    if (impl && size) {
        if (p_dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name) != dnnl_success || !name) name = "?";
        snprintf(impl, size, "%s", name);
    }
    p_dnnl_primitive_desc_destroy(pd);
    return OPENMED_OK;
}

static int f32_blocked;
static pthread_once_t f32_once = PTHREAD_ONCE_INIT;

static void f32_probe(void) {
    char impl[64];
    f32_blocked = om_cpu_matmul_probe(OM_F32, impl, sizeof impl, NULL) == OPENMED_OK && strncmp(impl, "brg", 3) == 0;
}

int om_cpu_f32_packs(void) {
    pthread_once(&f32_once, f32_probe);
    return f32_blocked;
}

/* --- per call */

typedef struct quant_job {
    const float *x;
    int64_t x_stride, K;
    uint8_t *q; /* [Mp, K] */
    float *sx;
    int32_t *zx;
} quant_job;

/* The row kernels are compiled for AVX2 and AVX-512 too (OM_CPU_VERSIONS, chosen by the ISA cap), as
 * the elementwise ops of cpu_ops.c; every version rounds the same way. */
#define ROW_KERNEL_OPT OM_CPU_OPT("O3", "no-trapping-math", "fp-contract=off")
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

static inline OM_CPU_BODY(ROW_KERNEL_OPT) void row_range_body(const float *x, int64_t K, float *lo_out, float *hi_out) {
    float lo = 0.0f, hi = 0.0f;
    for (int64_t k = 0; k < K; k++) {
        lo = x[k] < lo ? x[k] : lo;
        hi = x[k] > hi ? x[k] : hi;
    }
    *lo_out = lo;
    *hi_out = hi;
}
OM_CPU_VERSIONS_VOID(ROW_KERNEL_OPT, row_range, (const float *x, int64_t K, float *lo_out, float *hi_out), (x, K, lo_out, hi_out))

static inline OM_CPU_BODY(ROW_KERNEL_OPT) void row_quantize_body(const float *x, int64_t K, float inv, float zp, uint8_t *q) {
    for (int64_t k = 0; k < K; k++) {
        float v = x[k] * inv + (zp + 0.5f);
        v = v < 0.0f ? 0.0f : v;
        v = v > 255.0f ? 255.0f : v;
        q[k] = (uint8_t)(int32_t)v; /* truncation of v + 0.5: round half up */
    }
}
OM_CPU_VERSIONS_VOID(ROW_KERNEL_OPT, row_quantize, (const float *x, int64_t K, float inv, float zp, uint8_t *q), (x, K, inv, zp, q))

static void quant_rows(void *arg, int64_t begin, int64_t end) {
    const quant_job *j = arg;
    for (int64_t m = begin; m < end; m++) {
        const float *x = j->x + m * j->x_stride;
        float lo, hi;
        row_range(x, j->K, &lo, &hi);
        float scale = (hi - lo) / 255.0f;
        if (!(scale > 0.0f) || !isfinite(scale)) scale = 1.0f; /* all zeros (or non-finite: caught downstream) */
        float inv = 1.0f / scale, zp = nearbyintf(-lo * inv);
        zp = zp < 0.0f ? 0.0f : zp > 255.0f ? 255.0f : zp;
        row_quantize(x, j->K, inv, zp, j->q + m * j->K);
        j->sx[m] = scale;
        j->zx[m] = (int32_t)zp;
    }
}

typedef struct epi_job {
    float *y;
    int64_t y_stride, N;
    const void *t; /* the matmul's [Mp, N]: int32 (int8) or float (float32, bf16) */
    const om_cpu_packed *p;
    const float *sx;
    const int32_t *zx;
    const float *bias;
    om_act act;
    int accumulate;
} epi_job;

/* out[n] = sx sw[n] (acc[n] - zx colsum[n]) + bias[n] */
static inline OM_CPU_BODY(ROW_KERNEL_OPT) void row_dequantize_body(float *out, const int32_t *acc, int64_t N, float sx, int32_t zx,
                                         const float *sw, const int32_t *colsum, const float *bias) {
    if (bias)
        for (int64_t n = 0; n < N; n++) out[n] = sx * sw[n] * (float)(acc[n] - zx * colsum[n]) + bias[n];
    else
        for (int64_t n = 0; n < N; n++) out[n] = sx * sw[n] * (float)(acc[n] - zx * colsum[n]);
}
OM_CPU_VERSIONS_VOID(ROW_KERNEL_OPT, row_dequantize, (float *out, const int32_t *acc, int64_t N, float sx, int32_t zx, const float *sw, const int32_t *colsum, const float *bias), (out, acc, N, sx, zx, sw, colsum, bias))

static inline OM_CPU_BODY(ROW_KERNEL_OPT) void row_add_bias_body(float *out, const float *v, int64_t N, const float *bias) {
    if (bias)
        for (int64_t n = 0; n < N; n++) out[n] = v[n] + bias[n];
    else
        memcpy(out, v, (size_t)N * sizeof(float));
}
OM_CPU_VERSIONS_VOID(ROW_KERNEL_OPT, row_add_bias, (float *out, const float *v, int64_t N, const float *bias), (out, v, N, bias))

static inline OM_CPU_BODY(ROW_KERNEL_OPT) void row_accumulate_body(float *y, const float *v, int64_t N) {
    for (int64_t n = 0; n < N; n++) y[n] += v[n];
}
OM_CPU_VERSIONS_VOID(ROW_KERNEL_OPT, row_accumulate, (float *y, const float *v, int64_t N), (y, v, N))

/* Row m of the result is built in y, or, when accumulating onto y, in a small local block per
 * stretch of the row (never in place over the int32 accumulators), then the activation and the sum. */
#define EPI_BLOCK 512
static void epilogue_rows(void *arg, int64_t begin, int64_t end) {
    const epi_job *j = arg;
    const int64_t N = j->N;
    const om_cpu_packed *p = j->p;
    float block[EPI_BLOCK];
    for (int64_t m = begin; m < end; m++) {
        float *y = j->y + m * j->y_stride;
        if (!j->accumulate) {
            if (p->compute == OM_I8)
                row_dequantize(y, (const int32_t *)j->t + m * N, N, j->sx[m], j->zx[m], p->scale, p->colsum, j->bias);
            else
                row_add_bias(y, (const float *)j->t + m * N, N, j->bias);
            om_cpu_act_inplace(y, N, j->act);
            continue;
        }
        for (int64_t n0 = 0; n0 < N; n0 += EPI_BLOCK) {
            int64_t nb = N - n0 < EPI_BLOCK ? N - n0 : EPI_BLOCK;
            const float *bias = j->bias ? j->bias + n0 : NULL;
            if (p->compute == OM_I8)
                row_dequantize(block, (const int32_t *)j->t + m * N + n0, nb, j->sx[m], j->zx[m], p->scale + n0,
                               p->colsum + n0, bias);
            else
                row_add_bias(block, (const float *)j->t + m * N + n0, nb, bias);
            om_cpu_act_inplace(block, nb, j->act);
            row_accumulate(y + n0, block, nb);
        }
    }
}

/* One execution of p's matmul on M rows (a multiple of ROW_ALIGN): src [M, K] and dst [M, N] dense,
 * bias used when f->bias. *no_memory is set when the scratchpad could not be allocated. */
static dnnl_status_t run_matmul(const om_cpu_packed *p, int64_t M, const void *src, void *dst, const float *bias,
                                const fusion *f, dnnl_stream_t stream, int *no_memory) {
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t prim = NULL;
    dnnl_memory_t msrc = NULL, mwei = NULL, mdst = NULL, mbias = NULL, mscr = NULL;
    void *scratch = NULL;
    dnnl_status_t st = matmul_pd(p->compute, M, p->K, p->N, &p->layout, f, &pd);
    if (st != dnnl_success) return st;
    const dnnl_memory_desc_t *scr_md = p_dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    size_t scr_bytes = scr_md ? p_dnnl_memory_desc_get_size(scr_md) : 0;
    if (scr_bytes && posix_memalign(&scratch, 64, scr_bytes) != 0) {
        scratch = NULL;
        *no_memory = 1;
        st = dnnl_out_of_memory;
        goto done;
    }
    if ((st = p_dnnl_primitive_create(&prim, pd)) != dnnl_success ||
        (st = p_dnnl_memory_create(&msrc, p_dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0), engine,
                                   (void *)src)) != dnnl_success ||
        (st = p_dnnl_memory_create(&mwei, &p->layout, engine, p->data)) != dnnl_success ||
        (st = p_dnnl_memory_create(&mdst, p_dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0), engine, dst)) !=
            dnnl_success ||
        (f && f->bias &&
         (st = p_dnnl_memory_create(&mbias, p_dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 1), engine,
                                    (void *)bias)) != dnnl_success) ||
        (scr_bytes && (st = p_dnnl_memory_create(&mscr, scr_md, engine, scratch)) != dnnl_success))
        goto done;
    dnnl_exec_arg_t args[5] = {{DNNL_ARG_SRC, msrc}, {DNNL_ARG_WEIGHTS, mwei}, {DNNL_ARG_DST, mdst}};
    int n_args = 3;
    if (mbias) args[n_args++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, mbias};
    if (mscr) args[n_args++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, mscr};
    if ((st = p_dnnl_primitive_execute(prim, stream, n_args, args)) == dnnl_success) st = p_dnnl_stream_wait(stream);
done:
    p_dnnl_memory_destroy(msrc);
    p_dnnl_memory_destroy(mwei);
    p_dnnl_memory_destroy(mdst);
    p_dnnl_memory_destroy(mbias);
    p_dnnl_memory_destroy(mscr);
    if (prim) p_dnnl_primitive_destroy(prim);
    p_dnnl_primitive_desc_destroy(pd);
    free(scratch);
    return st;
}

/* float32 with dense x and y and an activation the matmul applies: rows in whole ROW_ALIGN blocks
 * straight from x into y, the last M % ROW_ALIGN through a padded block. */
static dnnl_status_t linear_f32_fused(const om_cpu_packed *p, float *y, const float *x, const float *bias, int64_t M,
                                      om_act act, int accumulate, dnnl_stream_t stream, int *no_memory) {
    const int64_t N = p->N, K = p->K, M0 = M / ROW_ALIGN * ROW_ALIGN, tail = M - M0;
    const fusion f = {bias != NULL, act == OM_ACT_GELU, accumulate};
    dnnl_status_t st = dnnl_success;
    if (M0) st = run_matmul(p, M0, x, y, bias, &f, stream, no_memory);
    if (st != dnnl_success || !tail) return st;
    float *xb = NULL, *yb = NULL;
    if (posix_memalign((void **)&xb, 64, (size_t)ROW_ALIGN * (size_t)K * sizeof(float)) != 0) xb = NULL;
    if (posix_memalign((void **)&yb, 64, (size_t)ROW_ALIGN * (size_t)N * sizeof(float)) != 0) yb = NULL;
    if (!xb || !yb) {
        free(xb);
        free(yb);
        *no_memory = 1;
        return dnnl_out_of_memory;
    }
    memcpy(xb, x + M0 * K, (size_t)tail * (size_t)K * sizeof(float));
    memset(xb + tail * K, 0, (size_t)(ROW_ALIGN - tail) * (size_t)K * sizeof(float));
    if (accumulate) memcpy(yb, y + M0 * N, (size_t)tail * (size_t)N * sizeof(float));
    memset(yb + tail * N, 0, (size_t)(ROW_ALIGN - tail) * (size_t)N * sizeof(float));
    st = run_matmul(p, ROW_ALIGN, xb, yb, bias, &f, stream, no_memory);
    if (st == dnnl_success) memcpy(y + M0 * N, yb, (size_t)tail * (size_t)N * sizeof(float));
    free(xb);
    free(yb);
    return st;
}

openmed_status om_cpu_linear_packed(om_backend *be, float *y, int64_t y_stride, const float *x, int64_t x_stride,
                                    const om_cpu_packed *p, const float *bias, int64_t M, om_act act, int accumulate,
                                    openmed_error *err) {
    const int64_t N = p->N, K = p->K, Mp = (M + ROW_ALIGN - 1) / ROW_ALIGN * ROW_ALIGN;
    const size_t src_esize = p->compute == OM_I8 ? 1 : p->compute == OM_BF16 ? 2 : 4;
    openmed_status s = need_engine(err);
    if (s != OPENMED_OK) return s;
    dnnl_stream_t stream = NULL;
    unsigned char *buf = NULL;
    int no_memory = 0;
    int threads = om_cpu_threads(be);
    int saved_threads = om_cpu_gemm_threads_push(((const om_cpu_ctx *)be->ctx)->threads_given ? threads : 0);
    dnnl_status_t st = p_dnnl_stream_create(&stream, engine, dnnl_stream_default_flags);
    if (st != dnnl_success) goto dnnl_failed;
    if (p->compute == OM_F32 && x_stride == K && y_stride == N && (act == OM_ACT_NONE || act == OM_ACT_GELU)) {
        if ((st = linear_f32_fused(p, y, x, bias, M, act, accumulate, stream, &no_memory)) != dnnl_success)
            goto dnnl_failed;
        goto done;
    }
    /* Otherwise through one block: source [Mp, K] in the compute's type, the matmul's [Mp, N], the
     * per-row scale and zero point (int8); then the epilogue into y. */
    const size_t src_bytes = (size_t)Mp * (size_t)K * src_esize, dst_bytes = (size_t)Mp * (size_t)N * 4;
    size_t off_dst = (src_bytes + 63) / 64 * 64, off_sx = off_dst + (dst_bytes + 63) / 64 * 64,
           off_zx = off_sx + (size_t)Mp * sizeof(float), total = off_zx + (size_t)Mp * sizeof(int32_t);
    if (posix_memalign((void **)&buf, 64, total) != 0) {
        buf = NULL;
        no_memory = 1;
        goto dnnl_failed;
    }
    float *sx = (float *)(buf + off_sx);
    int32_t *zx = (int32_t *)(buf + off_zx);
    const size_t src_row = (size_t)K * src_esize;
    if (Mp > M) memset(buf + (size_t)M * src_row, 0, (size_t)(Mp - M) * src_row); /* padding rows */
    if (p->compute == OM_I8) {
        quant_job qj = {x, x_stride, K, buf, sx, zx};
        om_cpu_parallel_for(threads, M, (16384 + K - 1) / K, quant_rows, &qj);
    } else if (p->compute == OM_F32) {
        for (int64_t m = 0; m < M; m++) memcpy(buf + (size_t)m * src_row, x + m * x_stride, src_row);
    } else {
        dnnl_memory_desc_t from, to;
        if ((st = p_dnnl_memory_desc_init_by_strides(&from, 2, (dnnl_dims_t){M, K}, dnnl_f32, (dnnl_dims_t){x_stride, 1})) !=
                dnnl_success ||
            (st = p_dnnl_memory_desc_init_by_tag(&to, 2, (dnnl_dims_t){M, K}, dnnl_bf16, dnnl_ab)) != dnnl_success ||
            (st = reorder(&from, (void *)x, &to, buf, stream)) != dnnl_success)
            goto dnnl_failed;
    }
    if ((st = run_matmul(p, Mp, buf, buf + off_dst, NULL, NULL, stream, &no_memory)) != dnnl_success) goto dnnl_failed;
    epi_job ej = {y, y_stride, N, buf + off_dst, p, sx, zx, bias, act, accumulate};
    om_cpu_parallel_for(threads, M, (16384 + N - 1) / N, epilogue_rows, &ej);
    goto done;
dnnl_failed:
    if (no_memory)
        s = om_fail(err, OPENMED_ERR_NO_MEMORY, "cpu: out of memory for a %s linear (M=%lld N=%lld K=%lld)",
                    compute_name(p->compute), (long long)M, (long long)N, (long long)K);
    else
        s = om_fail(err, OPENMED_ERR_INTERNAL, "cpu: oneDNN %s matmul failed (status %d) for M=%lld N=%lld K=%lld",
                    compute_name(p->compute), (int)st, (long long)M, (long long)N, (long long)K);
done:
    om_cpu_gemm_threads_restore(saved_threads);
    if (stream) p_dnnl_stream_destroy(stream);
    free(buf);
    return s;
}
