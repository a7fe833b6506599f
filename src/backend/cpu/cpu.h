/* cpu.h: internals shared by the CPU backend's files (context, thread pool, op entry points). */
#ifndef OM_BACKEND_CPU_H
#define OM_BACKEND_CPU_H

#include <stddef.h>
#include <stdint.h>

#include <oneapi/dnnl/dnnl_types.h>

#include "backend/backend.h"

typedef struct om_cpu_ctx {
    int num_threads;   /* threads of every parallel op and GEMM of this backend */
    int threads_given; /* num_threads was asked for (options, --threads, config): GEMMs use it; else
                          they run with OpenMP's own count, which num_threads then equals */
    om_dtype compute;  /* set_precision: OM_F32 (default), OM_I8 or OM_BF16 for OM_WEIGHT_LAYER weights */
} om_cpu_ctx;

/* What prepare_weight made for a weight (om_weight.backend_private), NULL when it is used in place. */
typedef struct om_cpu_packed om_cpu_packed;
typedef struct om_cpu_prepared {
    float *f32;             /* an owned float32 copy (data points at it), or NULL */
    om_cpu_packed *packed;  /* copy packed for oneDNN's matmul that linear uses (data is then NULL), or NULL */
} om_cpu_prepared;

/* Kernels compiled three times, for AVX-512 (F, DQ, BW, VL, with AVX2 + FMA), AVX2 + FMA and baseline
 * x86-64, and chosen on every call by om_cpu_features(), so OPENMED_CPU_ISA and om_cpu_isa_set_cap
 * steer them as they steer every other kernel and tests force each path in turn. Write the kernel as
 * `static inline OM_CPU_BODY(ATTRS) RET NAME_body(PARAMS)`, then declare NAME with
 * OM_CPU_VERSIONS(ATTRS, RET, NAME, (PARAMS), (ARGS)) (OM_CPU_VERSIONS_VOID for void), ATTRS being
 * the same extra attributes for the body and its versions (OM_CPU_OPT(...): GCC's optimize options,
 * which the body needs too, as its early passes run under its own). A body must not pass or return
 * 32- or 64-byte vectors by value (the baseline version has no AVX to pass them in). */
#define OM_CPU_BODY(...) __attribute__((always_inline, __VA_ARGS__))
#if defined(__clang__)
#define OM_CPU_OPT(...) /* clang has no per-function optimize options: the file's own flags apply */
#else
#define OM_CPU_OPT(...) optimize(__VA_ARGS__)
#endif
#if defined(__x86_64__)
#define OM_CPU_VERSIONS_DEFINE_(ATTRS, RET, NAME, PARAMS, ARGS)                                                 \
    __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma"), noinline, ATTRS)) static RET             \
        NAME##_avx512 PARAMS { return NAME##_body ARGS; }                                                       \
    __attribute__((target("avx2,fma"), noinline, ATTRS)) static RET NAME##_avx2 PARAMS { return NAME##_body ARGS; } \
    __attribute__((noinline, ATTRS)) static RET NAME##_baseline PARAMS { return NAME##_body ARGS; }
#define OM_CPU_VERSIONS(ATTRS, RET, NAME, PARAMS, ARGS)                                                         \
    OM_CPU_VERSIONS_DEFINE_(ATTRS, RET, NAME, PARAMS, ARGS)                                                     \
    static RET NAME PARAMS {                                                                                    \
        unsigned f_ = om_cpu_features();                                                                        \
        if (f_ & OM_CPU_AVX512) return NAME##_avx512 ARGS;                                                     \
        if (f_ & OM_CPU_AVX2) return NAME##_avx2 ARGS;                                                         \
        return NAME##_baseline ARGS;                                                                            \
    }
#define OM_CPU_VERSIONS_VOID(ATTRS, NAME, PARAMS, ARGS)                                                         \
    __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma"), noinline, ATTRS)) static void            \
        NAME##_avx512 PARAMS { NAME##_body ARGS; }                                                              \
    __attribute__((target("avx2,fma"), noinline, ATTRS)) static void NAME##_avx2 PARAMS { NAME##_body ARGS; }    \
    __attribute__((noinline, ATTRS)) static void NAME##_baseline PARAMS { NAME##_body ARGS; }                   \
    static void NAME PARAMS {                                                                                   \
        unsigned f_ = om_cpu_features();                                                                        \
        if (f_ & OM_CPU_AVX512)                                                                                 \
            NAME##_avx512 ARGS;                                                                                 \
        else if (f_ & OM_CPU_AVX2)                                                                              \
            NAME##_avx2 ARGS;                                                                                   \
        else                                                                                                    \
            NAME##_baseline ARGS;                                                                               \
    }
#else
#define OM_CPU_VERSIONS(ATTRS, RET, NAME, PARAMS, ARGS)                                                         \
    __attribute__((noinline, ATTRS)) static RET NAME PARAMS { return NAME##_body ARGS; }
#define OM_CPU_VERSIONS_VOID(ATTRS, NAME, PARAMS, ARGS)                                                         \
    __attribute__((noinline, ATTRS)) static void NAME PARAMS { NAME##_body ARGS; }
#endif

/* --- thread pool (cpu_threads.c): the OpenMP team oneDNN already runs on, so our ops and the
 * GEMM share one set of threads and never oversubscribe the cores. */

/* fn(ctx, begin, end) over [0, n) split into contiguous chunks across up to num_threads threads;
 * runs inline when n is below `grain` or only one thread is available. */
typedef void (*om_cpu_range_fn)(void *ctx, int64_t begin, int64_t end);
void om_cpu_parallel_for(int num_threads, int64_t n, int64_t grain, om_cpu_range_fn fn, void *ctx);
/* Make oneDNN's OpenMP regions started from this thread use num_threads threads until the matching
 * om_cpu_gemm_threads_restore(returned value): the caller's own OpenMP setting is left as it was.
 * num_threads <= 0, or equal to the current count, changes nothing. */
int om_cpu_gemm_threads_push(int num_threads);
void om_cpu_gemm_threads_restore(int saved);
/* The thread count when none is asked for: OpenMP's own for this thread (OMP_NUM_THREADS, or what
 * the program set with omp_set_num_threads), else the cores available to the process. */
int om_cpu_default_threads(void);
/* 1 when the OpenMP runtime was found (threads are real). */
int om_cpu_threads_available(void);

/* --- GEMM (cpu_gemm.c): oneDNN's sgemm, loaded when the first CPU backend opens. */
/* Load oneDNN (and the OpenMP runtime it uses) once; OPENMED_ERR_DEVICE when it cannot be. */
openmed_status om_cpu_gemm_load(openmed_error *err);
/* A handle for dlsym() that reaches oneDNN and its dependencies, libgomp among them: the dlopen()ed
 * library, or RTLD_DEFAULT where oneDNN is linked at start (ASan builds), or NULL when it could not be
 * loaded (dlsym then finds only what the program itself has). */
void *om_cpu_gemm_library(void);
/* dnnl_sgemm (row-major C = alpha op(A) op(B) + beta C); dnnl_runtime_error when oneDNN is missing. */
dnnl_status_t om_cpu_sgemm(char transa, char transb, dnnl_dim_t M, dnnl_dim_t N, dnnl_dim_t K, float alpha,
                           const float *A, dnnl_dim_t lda, const float *B, dnnl_dim_t ldb, float beta, float *C,
                           dnnl_dim_t ldc);

/* --- instruction sets (cpu_isa.c) */
enum {
    OM_CPU_AVX2 = 1u << 0,        /* AVX2 + FMA */
    OM_CPU_AVX_VNNI = 1u << 1,    /* VEX-encoded vpdpbusd on ymm (Alder Lake, Zen 5) */
    OM_CPU_AVX512 = 1u << 2,      /* AVX-512 F, DQ, BW, VL */
    OM_CPU_AVX512_VNNI = 1u << 3, /* vpdpbusd on zmm */
    OM_CPU_AVX512_BF16 = 1u << 4, /* vdpbf16ps */
    OM_CPU_AMX = 1u << 5          /* AMX tiles, int8 and bf16, permission granted by the kernel */
};
/* Features the kernels may use: detected ones within the cap. */
unsigned om_cpu_features(void);
/* Features the CPU and OS support, whatever the cap. */
unsigned om_cpu_detected_features(void);
/* Cap the features kernels use: "baseline", "avx2", "avx_vnni", "avx512", "avx512_vnni",
 * "avx512_bf16", "amx", or "native"/NULL for no cap (the environment's OPENMED_CPU_ISA is read
 * once, at first use). Returns -1 for an unknown name. Not thread-safe: call between forwards. */
int om_cpu_isa_set_cap(const char *name);
/* The i-th cap name, lowest first; NULL past the end. */
const char *om_cpu_isa_cap_name(size_t i);
/* 1 when everything the named cap allows exists on this machine. */
int om_cpu_isa_cap_available(const char *name);
/* Space-separated feature names of f ("baseline" when none). */
void om_cpu_features_describe(unsigned f, char *buf, size_t size);

/* --- conversions (cpu_backend.c; single values in core/half.h) */
/* Convert n elements of src (dtype dt, possibly unaligned) to float32. */
void om_cpu_to_f32(float *dst, const void *src, om_dtype dt, int64_t n);

/* --- ops (cpu_linear.c, cpu_ops.c, cpu_attention.c) */
openmed_status om_cpu_linear(om_backend *be, float *y, int64_t y_stride, const float *x, int64_t x_stride,
                             const om_weight *w, const float *bias, int64_t M, om_act act, int accumulate,
                             openmed_error *err);
openmed_status om_cpu_layernorm(om_backend *be, float *y, const float *x, const float *residual, const float *gamma,
                                const float *beta, int64_t M, int64_t D, float eps, openmed_error *err);
openmed_status om_cpu_rmsnorm(om_backend *be, float *y, const float *x, const float *gamma, int64_t M, int64_t D,
                              float eps, openmed_error *err);
openmed_status om_cpu_embed(om_backend *be, float *y, const om_weight *table, const int32_t *ids, int64_t M,
                            int accumulate, openmed_error *err);
openmed_status om_cpu_add(om_backend *be, float *y, const float *a, const float *b, int64_t n, openmed_error *err);
openmed_status om_cpu_scale(om_backend *be, float *y, const float *x, float s, int64_t n, openmed_error *err);
openmed_status om_cpu_activate(om_backend *be, float *y, const float *x, int64_t n, om_act act, openmed_error *err);
openmed_status om_cpu_glu(om_backend *be, float *y, const float *x, int64_t M, int64_t F, om_act act,
                          openmed_error *err);
openmed_status om_cpu_attention(om_backend *be, const om_attention_args *a, openmed_error *err);
openmed_status om_cpu_rope(om_backend *be, const om_rope_args *a, openmed_error *err);

/* --- packed linear layers (cpu_matmul.c): oneDNN's matmul with weights packed at load */
/* Pack w, read from w->data in w->dtype, for compute (OM_F32, OM_I8 quantized, OM_BF16 rounded) into
 * the layout oneDNN's matmul chose for this CPU. OPENMED_ERR_UNSUPPORTED where oneDNN has no such
 * matmul here. */
openmed_status om_cpu_pack_weight(const om_weight *w, om_dtype compute, om_cpu_packed **out, openmed_error *err);
void om_cpu_packed_free(om_cpu_packed *p);
size_t om_cpu_packed_bytes(const om_cpu_packed *p);
/* linear (backend.h semantics) with a packed weight. */
openmed_status om_cpu_linear_packed(om_backend *be, float *y, int64_t y_stride, const float *x, int64_t x_stride,
                                    const om_cpu_packed *p, const float *bias, int64_t M, om_act act, int accumulate,
                                    openmed_error *err);
/* Whether oneDNN has a matmul for compute (OM_F32, OM_I8, OM_BF16) on this CPU, and its
 * implementation name ("brg:avx512_core_vnni", "gemm:jit", ...) written to impl. */
openmed_status om_cpu_matmul_probe(om_dtype compute, char *impl, size_t size, openmed_error *err);
/* 1 when float32 layer weights are packed: oneDNN's float32 matmul has a blocked kernel here
 * (brgemm, AVX-512 and up), faster than the sgemm that otherwise reads them in place. */
int om_cpu_f32_packs(void);

/* --- double-precision accumulation (cpu_f64.c): weights hinted OM_WEIGHT_PRECISE and precise
 * attention. Results do not depend on the instruction set beyond baseline vs FMA. */
openmed_status om_cpu_linear_f64(om_backend *be, float *y, int64_t y_stride, const float *x, int64_t x_stride,
                                 const om_weight *w, const float *bias, int64_t M, om_act act, int accumulate,
                                 openmed_error *err);
typedef double (*om_cpu_dot_f64_fn)(const float *a, const float *b, int n); /* sum a[i] b[i] in double */
typedef void (*om_cpu_axpy_f64_fn)(double *y, double a, const float *x, int n); /* y += a x */
void om_cpu_f64_kernels(om_cpu_dot_f64_fn *dot, om_cpu_axpy_f64_fn *axpy);

/* --- architecture-specific ops. Each family's CPU ops live in src/backend/cpu/ops_<arch>.c and
 * define `void om_cpu_install_<arch>(om_backend *be)`, which sets that family's vtable entries
 * (backend.h, "architecture-specific ops"); om_cpu_backend_open calls each. */
void om_cpu_install_deberta(om_backend *be);
void om_cpu_install_moe(om_backend *be);

/* Apply act to n floats in place (scalar reference definitions). */
void om_cpu_act_inplace(float *x, int64_t n, om_act act);

static inline int om_cpu_threads(const om_backend *be) { return ((const om_cpu_ctx *)be->ctx)->num_threads; }

#endif
