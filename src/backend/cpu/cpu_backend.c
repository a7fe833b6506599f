/* cpu_backend.c: the CPU backend object: host memory, weight preparation and the op vtable. */
#include <stdlib.h>
#include <string.h>

#include "backend/cpu/cpu.h"
#include "core/error.h"
#include "core/half.h"

void om_cpu_to_f32(float *dst, const void *src, om_dtype dt, int64_t n) {
    if (dt == OM_F32) {
        memcpy(dst, src, (size_t)n * sizeof(float));
        return;
    }
    om_half_run_to_f32(dst, src, dt == OM_BF16, (size_t)n);
}

static void cpu_destroy(om_backend *be) {
    if (!be) return;
    free(be->ctx);
    free(be);
}

static void *cpu_alloc(om_backend *be, size_t bytes) {
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes ? bytes : 64) != 0) return NULL;
    return p;
}

static void cpu_free(om_backend *be, void *p) { free(p); }

static openmed_status cpu_copy(om_backend *be, void *dst, const void *src, size_t bytes, openmed_error *err) {
    if (bytes) memmove(dst, src, bytes);
    return OPENMED_OK;
}

static openmed_status cpu_synchronize(om_backend *be, openmed_error *err) { return OPENMED_OK; }

/* OM_WEIGHT_LAYER weights are packed for oneDNN's matmul under a reduced compute dtype, and under
 * float32 where that matmul has a blocked kernel (om_cpu_f32_packs); their data becomes NULL (the
 * caller may release the float weights). Otherwise float32 weights that are 4-byte aligned stay in
 * place (the mmap); others become an owned, aligned float32 copy, except with keep_dtype where
 * f16/bf16 stay as stored and linear converts. */
static openmed_status cpu_prepare_weight(om_backend *be, om_weight *w, int keep_dtype, openmed_error *err) {
    w->backend_private = NULL;
    if (w->rows < 0 || w->cols < 0) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "cpu: weight with negative shape");
    const om_cpu_ctx *ctx = be->ctx;
    if ((w->hints & OM_WEIGHT_LAYER) && !(w->hints & OM_WEIGHT_PRECISE) && w->rows > 0 && w->cols > 0 &&
        (ctx->compute != OM_F32 || om_cpu_f32_packs())) {
        om_cpu_prepared *prep = calloc(1, sizeof *prep);
        if (!prep) return om_fail(err, OPENMED_ERR_NO_MEMORY, "cpu: out of memory preparing a weight");
        openmed_status s = om_cpu_pack_weight(w, ctx->compute, &prep->packed, err);
        if (s != OPENMED_OK) {
            free(prep);
            return s;
        }
        w->backend_private = prep;
        w->data = NULL;
        return OPENMED_OK;
    }
    int aligned = ((uintptr_t)w->data % 4) == 0;
    if (w->dtype == OM_F32 && aligned) return OPENMED_OK;
    if (w->dtype != OM_F32 && keep_dtype && ((uintptr_t)w->data % 2) == 0) return OPENMED_OK;
    size_t n;
    if (__builtin_mul_overflow((size_t)w->rows, (size_t)w->cols, &n) || n > SIZE_MAX / sizeof(float))
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "cpu: weight [%lld, %lld] too large", (long long)w->rows,
                       (long long)w->cols);
    om_cpu_prepared *prep = calloc(1, sizeof *prep);
    float *copy = cpu_alloc(be, n * sizeof(float));
    if (!prep || !copy) {
        free(prep);
        free(copy);
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "cpu: cannot allocate %zu bytes for a weight", n * sizeof(float));
    }
    om_cpu_to_f32(copy, w->data, w->dtype, (int64_t)n);
    w->data = copy;
    w->dtype = OM_F32;
    prep->f32 = copy;
    w->backend_private = prep;
    return OPENMED_OK;
}

static void cpu_release_weight(om_backend *be, om_weight *w) {
    if (!w || !w->backend_private) return;
    om_cpu_prepared *prep = w->backend_private;
    free(prep->f32);
    om_cpu_packed_free(prep->packed);
    free(prep);
    w->backend_private = NULL;
}

static openmed_status cpu_set_precision(om_backend *be, om_dtype compute, openmed_error *err) {
    om_cpu_ctx *ctx = be->ctx;
    if (compute == OM_F32) {
        ctx->compute = OM_F32;
        return OPENMED_OK;
    }
    if (compute != OM_I8 && compute != OM_BF16)
        return om_fail(err, OPENMED_ERR_UNSUPPORTED, "cpu: no %s compute (float32, int8 or bf16)",
                       compute == OM_F16 ? "float16" : "such");
    openmed_status s = om_cpu_matmul_probe(compute, NULL, 0, err);
    if (s == OPENMED_OK) ctx->compute = compute;
    return s;
}

static const float *cpu_prepare_vector(om_backend *be, const float *host, int64_t n, openmed_error *err) {
    return host;
}

static void cpu_release_vector(om_backend *be, const float *p) {}

openmed_status om_cpu_backend_open(int num_threads, om_backend **out, openmed_error *err) {
    *out = NULL;
    if (num_threads < 0) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "cpu: num_threads %d is negative", num_threads);
    openmed_status st = om_cpu_gemm_load(err);
    if (st != OPENMED_OK) return st;
    om_backend *be = calloc(1, sizeof *be);
    om_cpu_ctx *ctx = calloc(1, sizeof *ctx);
    if (!be || !ctx) {
        free(be);
        free(ctx);
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "cpu: cannot allocate the backend");
    }
    ctx->threads_given = num_threads > 0;
    ctx->num_threads = num_threads > 0 ? num_threads : om_cpu_default_threads();
    ctx->compute = OM_F32;
    be->name = "cpu";
    be->ctx = ctx;
    be->destroy = cpu_destroy;
    be->alloc = cpu_alloc;
    be->free = cpu_free;
    be->upload = cpu_copy;
    be->download = cpu_copy;
    be->synchronize = cpu_synchronize;
    be->prepare_weight = cpu_prepare_weight;
    be->release_weight = cpu_release_weight;
    be->prepare_vector = cpu_prepare_vector;
    be->release_vector = cpu_release_vector;
    be->set_precision = cpu_set_precision;
    be->linear = om_cpu_linear;
    be->layernorm = om_cpu_layernorm;
    be->rmsnorm = om_cpu_rmsnorm;
    be->embed = om_cpu_embed;
    be->add = om_cpu_add;
    be->scale = om_cpu_scale;
    be->activate = om_cpu_activate;
    be->glu = om_cpu_glu;
    be->attention = om_cpu_attention;
    be->rope = om_cpu_rope;
    om_cpu_install_deberta(be);
    om_cpu_install_moe(be);
    *out = be;
    return OPENMED_OK;
}
