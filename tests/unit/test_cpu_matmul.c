/* test_cpu_matmul.c: the cpu backend's linear layers on oneDNN's matmul with packed weights (float32,
 * int8, bf16) against a double-precision reference on random shapes, strides, activations and
 * accumulation. Run once per oneDNN ISA cap (ONEDNN_MAX_CPU_ISA, set by ctest); exits 77 when the CPU
 * lacks the capped ISA.
 *
 * Tolerances are the worst case of each scheme, not tuned numbers: for int8, with weight step
 * sw[n] = max|w[n]| / 63 (the larger of the two ranges used) and activation step
 * sx[m] = range(x[m] with 0) / 255, every output is within
 *   sum_k (|x[m,k]| sw[n] / 2 + |w[n,k]| sx[m] / 2 + sx[m] sw[n] / 4) (+ 1e-4 relative for float sums);
 * the mean error must be below a quarter of the mean bound (rounding errors cancel; a systematic
 * error does not). For bf16 (8-bit mantissa, both operands rounded to nearest): within
 * sum_k |x[m,k] w[n,k]| * 2^-7 + 1e-5. For float32, a sum of K products in any order: within
 * sum_k |x[m,k] w[n,k]| * (K + 1) * 2^-24 (the classic gamma bound) + 1e-5. The activation is applied to the exact
 * value and to the result alike; its slope is at most 1.13 (GELU), which the bound allows for by a
 * factor 1.2. Float32 weights are packed where oneDNN has a blocked float32 kernel (AVX-512), and
 * read in place by the sgemm otherwise; both are checked. */
#include <oneapi/dnnl/dnnl.h>
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/cpu/cpu.h"
#include "act_ref.h"
#include "check.h"

static openmed_error err;

static const char *compute_name(om_dtype c) { return c == OM_I8 ? "int8" : c == OM_BF16 ? "bf16" : "float32"; }

static float frand(void) { return (float)rand() / (float)RAND_MAX * 2.0f - 1.0f; }

typedef struct shape {
    int M, K, N, xs, ys;
    om_act act;
    int accumulate, bias;
    float xscale; /* activation magnitude */
} shape;

/* One linear of compute dtype `compute` against the reference; returns the worst error / bound. */
static double run_case(om_backend *be, om_dtype compute, const shape *c) {
    const int M = c->M, K = c->K, N = c->N, xs = c->xs ? c->xs : K, ys = c->ys ? c->ys : N;
    float *x = malloc(sizeof(float) * (size_t)M * xs), *w = malloc(sizeof(float) * (size_t)N * K),
          *bias = malloc(sizeof(float) * N), *y = malloc(sizeof(float) * (size_t)M * ys),
          *y0 = malloc(sizeof(float) * (size_t)M * ys);
    for (int i = 0; i < M * xs; i++) x[i] = frand() * c->xscale;
    for (int m = 0; m < M; m += 7) /* rows of one kind: all zeros, one outlier, all equal positives */
        for (int k = 0; k < K; k++) x[m * xs + k] = m % 3 == 0 ? 0.0f : m % 3 == 1 ? (k == 3 ? 40.0f : x[m * xs + k]) : 0.7f;
    for (int i = 0; i < N * K; i++) w[i] = frand() * 0.2f;
    for (int k = 0; k < K; k++) w[k] = 0.0f; /* an all-zero output channel */
    for (int i = 0; i < N; i++) bias[i] = frand();
    for (int i = 0; i < M * ys; i++) y0[i] = y[i] = frand();
    om_weight wt = {w, OM_F32, N, K, NULL, OM_WEIGHT_LAYER};
    CHECK(be->prepare_weight(be, &wt, 0, &err) == OPENMED_OK);
    const om_cpu_prepared *prep = wt.backend_private;
    if (compute != OM_F32 || om_cpu_f32_packs()) CHECK(prep && prep->packed && wt.data == NULL);
    else CHECK(prep == NULL && wt.data == w);
    CHECK(be->linear(be, y, c->ys, x, c->xs, &wt, c->bias ? bias : NULL, M, c->act, c->accumulate, &err) == OPENMED_OK);
    double worst = 0.0, sum_err = 0.0, sum_bound = 0.0;
    for (int m = 0; m < M; m++) {
        double lo = 0.0, hi = 0.0;
        for (int k = 0; k < K; k++) {
            lo = fmin(lo, x[m * xs + k]);
            hi = fmax(hi, x[m * xs + k]);
        }
        double sx = (hi - lo) / 255.0;
        for (int n = 0; n < N; n++) {
            double amax = 0.0, exact = c->bias ? bias[n] : 0.0, abs_sum = 0.0, bound = 0.0;
            for (int k = 0; k < K; k++) amax = fmax(amax, fabs(w[n * K + k]));
            double sw = amax / 63.0;
            for (int k = 0; k < K; k++) {
                double xv = x[m * xs + k], wv = w[n * K + k];
                exact += xv * wv;
                abs_sum += fabs(xv * wv);
                bound += compute == OM_I8 ? fabs(xv) * sw / 2 + fabs(wv) * sx / 2 + sx * sw / 4 : 0.0;
            }
            if (compute == OM_BF16) bound = abs_sum * ldexp(1.0, -7) + 1e-5;
            if (compute == OM_F32) bound = abs_sum * (K + 1) * ldexp(1.0, -24) + 1e-5;
            bound = bound * 1.2 + 1e-4 * fabs(exact) + 1e-5;
            double ref = act_ref(exact, c->act) + (c->accumulate ? y0[m * ys + n] : 0.0);
            double e = fabs(y[m * ys + n] - ref);
            if (!(e <= bound))
                CHECK_MSG(e <= bound, "%s M=%d K=%d N=%d act=%d acc=%d: y[%d,%d] = %.6g, reference %.6g, bound %.3g",
                          compute_name(compute), M, K, N, (int)c->act, c->accumulate, m, n,
                          y[m * ys + n], ref, bound);
            worst = fmax(worst, e / bound);
            sum_err += e;
            sum_bound += bound;
        }
    }
    CHECK_MSG(sum_err <= sum_bound / 4, "mean error %.3g above a quarter of the mean bound %.3g", sum_err / (M * N),
              sum_bound / (M * N));
    be->release_weight(be, &wt);
    CHECK(wt.backend_private == NULL);
    free(x);
    free(w);
    free(bias);
    free(y);
    free(y0);
    return worst;
}

/* oneDNN's effective ISA, from the library the backend loads at run time. */
static dnnl_cpu_isa_t effective_isa(void) {
    openmed_error e;
    if (om_cpu_gemm_load(&e) != OPENMED_OK) return dnnl_cpu_isa_all;
    __typeof__(&dnnl_get_effective_cpu_isa) f =
        (__typeof__(&dnnl_get_effective_cpu_isa))dlsym(om_cpu_gemm_library(), "dnnl_get_effective_cpu_isa");
    return f ? f() : dnnl_cpu_isa_all;
}

/* The ISA cap ctest set, and whether this CPU reaches it. */
static int forced_isa_available(const char **name) {
    static const struct {
        const char *name;
        dnnl_cpu_isa_t isa;
    } isas[] = {{"AVX2", dnnl_cpu_isa_avx2},
                {"AVX2_VNNI", dnnl_cpu_isa_avx2_vnni},
                {"AVX512_CORE", dnnl_cpu_isa_avx512_core},
                {"AVX512_CORE_VNNI", dnnl_cpu_isa_avx512_core_vnni},
                {"AVX512_CORE_BF16", dnnl_cpu_isa_avx512_core_bf16},
                {"AVX512_CORE_AMX", dnnl_cpu_isa_avx512_core_amx}};
    const char *cap = getenv("ONEDNN_MAX_CPU_ISA");
    *name = cap && *cap ? cap : "native";
    if (!cap || !*cap || !strcmp(cap, "ALL")) return 1;
    dnnl_cpu_isa_t have = effective_isa();
    for (size_t i = 0; i < sizeof isas / sizeof isas[0]; i++)
        if (!strcmp(cap, isas[i].name)) return have == isas[i].isa;
    return 0;
}

int main(void) {
    const char *isa;
    if (!forced_isa_available(&isa)) {
        printf("skipped: this CPU has no %s\n", isa);
        return 77;
    }
    srand(17);
    static const shape shapes[] = {
        {1, 16, 8, 0, 0, OM_ACT_NONE, 0, 1, 1.0f},
        {17, 50, 23, 53, 29, OM_ACT_NONE, 0, 1, 1.0f},     /* padded rows, strides */
        {37, 64, 96, 0, 0, OM_ACT_GELU, 0, 1, 2.0f},
        {40, 96, 64, 100, 70, OM_ACT_NONE, 1, 1, 1.0f},    /* accumulate (residual) */
        {33, 72, 40, 0, 0, OM_ACT_GELU, 1, 0, 1.0f},       /* accumulate with activation, no bias */
        {130, 768, 256, 0, 0, OM_ACT_GELU_TANH, 0, 1, 3.0f},
        {64, 3072, 96, 0, 0, OM_ACT_RELU, 0, 1, 1.0f},     /* long rows: saturation would show here */
        {9, 128, 48, 0, 0, OM_ACT_SILU, 0, 1, 1.0f},
        {300, 257, 130, 0, 0, OM_ACT_QUICK_GELU, 0, 1, 1.0f},
        {48, 64, 80, 0, 0, OM_ACT_GELU, 1, 1, 1.0f},       /* whole row blocks, GELU and accumulation */
        {19, 768, 128, 0, 0, OM_ACT_NONE, 1, 1, 2.0f},     /* one block and a tail, accumulated */
        {5, 3072, 24, 0, 0, OM_ACT_NONE, 0, 0, 1.0f},      /* a tail alone, long rows, no bias */
    };
    const om_dtype computes[] = {OM_F32, OM_I8, OM_BF16};
    for (size_t ci = 0; ci < 3; ci++) {
        om_dtype compute = computes[ci];
        om_backend *be = NULL;
        if (om_backend_create("cpu", 2, &be, &err) != OPENMED_OK) {
            fprintf(stderr, "cpu backend: %s\n", err.message);
            return 1;
        }
        char impl[128] = "";
        openmed_status ps = om_cpu_matmul_probe(compute, impl, sizeof impl, &err);
        openmed_status s = be->set_precision(be, compute, &err);
        CHECK_INT(s, ps);
        if (compute == OM_BF16 && ps == OPENMED_ERR_UNSUPPORTED) {
            /* oneDNN has bf16 matmul from AVX-512 on: below it, cpu refuses and the loader computes float32 */
            dnnl_cpu_isa_t have = effective_isa();
            CHECK_MSG((have & dnnl_cpu_isa_avx512_core) != dnnl_cpu_isa_avx512_core,
                      "bf16 refused on a CPU with AVX-512 (%s)", err.message);
            printf("%s bf16: unsupported here (%s)\n", isa, err.message);
            om_backend_destroy(be);
            continue;
        }
        CHECK_INT(s, OPENMED_OK);
        if (s != OPENMED_OK) {
            om_backend_destroy(be);
            continue;
        }
        double worst = 0.0;
        for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) worst = fmax(worst, run_case(be, compute, &shapes[i]));
        printf("%s %s: kernel %s (%s), worst error %.3f of the bound\n", isa, compute_name(compute), impl,
               compute != OM_F32 || om_cpu_f32_packs() ? "packed" : "sgemm in place", worst);
        /* float16 compute does not exist on cpu; embeddings and heads (no hint) stay float32 in place */
        CHECK_INT(be->set_precision(be, OM_F16, &err), OPENMED_ERR_UNSUPPORTED);
        float table[6] = {1, 2, 3, 4, 5, 6};
        om_weight head = {table, OM_F32, 2, 3, NULL, 0};
        CHECK(be->prepare_weight(be, &head, 0, &err) == OPENMED_OK && head.backend_private == NULL && head.data == table);
        be->release_weight(be, &head);
        om_backend_destroy(be);
    }
    printf("%d checks, %d failed\n", check_count, check_failures);
    return check_failures ? 1 : 0;
}
