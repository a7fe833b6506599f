/* test_cpu_ops.c: every CPU backend op against a plain double-precision reference written here
 * from the definitions in backend.h (strides, accumulate, aliasing, dtypes, windows, sinks, bias, GQA). */
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/cpu/cpu.h"
#include "act_ref.h"
#include "check.h"

static om_backend *be;
static openmed_error err;

static float frand(void) { return (float)rand() / (float)RAND_MAX * 2.0f - 1.0f; }
static void fill(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = frand();
}

static uint16_t to_bf16(float f) {
    uint32_t b;
    memcpy(&b, &f, 4);
    return (uint16_t)(b >> 16);
}
static float from_bf16(uint16_t h) {
    uint32_t b = (uint32_t)h << 16;
    float f;
    memcpy(&f, &b, 4);
    return f;
}

static void test_activation_names(void) {
    om_act a;
    CHECK(om_act_parse("gelu", &a) == 0 && a == OM_ACT_GELU);
    CHECK(om_act_parse("gelu_new", &a) == 0 && a == OM_ACT_GELU_TANH);
    CHECK(om_act_parse("gelu_pytorch_tanh", &a) == 0 && a == OM_ACT_GELU_TANH);
    CHECK(om_act_parse("swish", &a) == 0 && a == OM_ACT_SILU);
    CHECK(om_act_parse("relu", &a) == 0 && a == OM_ACT_RELU);
    CHECK(om_act_parse("quick_gelu", &a) == 0 && a == OM_ACT_QUICK_GELU);
    CHECK(om_act_parse("tanh_gelu_typo", &a) == -1);
    CHECK_INT(om_dtype_size(OM_F32), 4);
    CHECK_INT(om_dtype_size(OM_BF16), 2);
}

static void test_linear(void) {
    const int M = 37, K = 50, N = 23, xs = 53, ys = 29;
    float *x = malloc(sizeof(float) * M * xs), *w = malloc(sizeof(float) * N * K), *bias = malloc(sizeof(float) * N);
    float *y = malloc(sizeof(float) * M * ys), *y0 = malloc(sizeof(float) * M * ys);
    fill(x, (size_t)M * xs);
    fill(w, (size_t)N * K);
    fill(bias, N);
    fill(y0, (size_t)M * ys);
    uint16_t *wb = malloc(sizeof(uint16_t) * N * K);
    for (int i = 0; i < N * K; i++) wb[i] = to_bf16(w[i]);
    /* f32, bf16 converted, bf16 kept, f16 via bf16-exact values; then f32 and bf16 kept with
     * OM_WEIGHT_PRECISE (double accumulation: within half an ulp of exact without an activation) */
    for (int variant = 0; variant < 6; variant++) {
        int precise = variant >= 4;
        om_weight W = {w, OM_F32, N, K, NULL, precise ? OM_WEIGHT_PRECISE : 0};
        if (variant == 5) variant = 2; /* same data as variant 2 */
        if (variant >= 1) {
            W.data = wb;
            W.dtype = OM_BF16;
        }
        CHECK_INT(be->prepare_weight(be, &W, variant == 2, &err), OPENMED_OK);
        for (int act = OM_ACT_NONE; act <= OM_ACT_QUICK_GELU; act++)
            for (int acc = 0; acc < 2; acc++)
                for (int with_bias = 0; with_bias < 2; with_bias++) {
                    memcpy(y, y0, sizeof(float) * M * ys);
                    CHECK_INT(be->linear(be, y, ys, x, xs, &W, with_bias ? bias : NULL, M, (om_act)act, acc, &err),
                              OPENMED_OK);
                    double worst = 0, worst_ulps = 0;
                    for (int i = 0; i < M; i++)
                        for (int n = 0; n < N; n++) {
                            double s = with_bias ? bias[n] : 0;
                            for (int k = 0; k < K; k++)
                                s += (double)x[i * xs + k] * (variant ? from_bf16(wb[n * K + k]) : w[n * K + k]);
                            double want = act_ref(s, (om_act)act) + (acc ? y0[i * ys + n] : 0);
                            double d = fabs(y[i * ys + n] - want);
                            if (d > worst) worst = d;
                            float fw = (float)want;
                            double ulp = nextafterf(fabsf(fw), INFINITY) - fabsf(fw);
                            if (d / ulp > worst_ulps) worst_ulps = d / ulp;
                        }
                    if (precise && act == OM_ACT_NONE)
                        CHECK_MSG(worst_ulps <= 0.51, "precise linear %s acc %d bias %d: %.3g ulp",
                                  variant ? "bf16" : "f32", acc, with_bias, worst_ulps);
                    for (int i = 0; i < M; i++) /* columns beyond N untouched */
                        for (int n = N; n < ys; n++) CHECK(y[i * ys + n] == y0[i * ys + n]);
                    CHECK_MSG(worst < 1e-4, "linear variant %d act %d acc %d bias %d: %g", variant, act, acc, with_bias,
                              worst);
                }
        be->release_weight(be, &W);
        if (precise && variant == 2) variant = 5;
    }
    free(x), free(w), free(bias), free(y), free(y0), free(wb);
}

/* Precise linears and attention give bit-identical results on every FMA path (same lanes, same
 * reduction order), so a model using them does not depend on the CPU it runs on. */
static void test_precise_same_everywhere(void) {
    enum { M = 13, K = 131, N = 9 };
    static float x[M * K], w[N * K], y[M * N], first[M * N];
    fill(x, M * K), fill(w, N * K);
    int have_first = 0;
    for (size_t c = 0; om_cpu_isa_cap_name(c); c++) {
        const char *cap = om_cpu_isa_cap_name(c);
        if (strcmp(cap, "baseline") == 0 || !om_cpu_isa_cap_available(cap)) continue;
        om_cpu_isa_set_cap(cap);
        om_weight W = {w, OM_F32, N, K, NULL, OM_WEIGHT_PRECISE};
        CHECK_INT(be->prepare_weight(be, &W, 0, &err), OPENMED_OK);
        CHECK_INT(be->linear(be, y, 0, x, 0, &W, NULL, M, OM_ACT_NONE, 0, &err), OPENMED_OK);
        be->release_weight(be, &W);
        if (!have_first) memcpy(first, y, sizeof y), have_first = 1;
        CHECK_MSG(memcmp(first, y, sizeof y) == 0, "precise linear differs under cap %s", cap);
    }
    om_cpu_isa_set_cap(NULL);
}

/* The elementwise kernels (GELU, LayerNorm, softmax) have a version per instruction set, none of them
 * contracting into FMA: the output is bit-identical under every cap, baseline included, so a model
 * does not depend on the CPU it runs on, and a version that rounds differently is caught here. */
static void test_elementwise_same_everywhere(void) {
    enum { M = 7, D = 203, NG = 1001 };
    static float x[M * D], r[M * D], g[D], b[D], ln[M * D], ln0[M * D], gx[NG], gy[NG], gy0[NG];
    fill(x, M * D), fill(r, M * D), fill(g, D), fill(b, D);
    for (int i = 0; i < NG; i++) gx[i] = -6.0f + 12.0f * (float)i / (NG - 1);
    /* attention: head_dim 24 (a 16-lane block and a tail), rows of 13 and 24 scores */
    const int n_heads = 2, hd = 24, T = 37, stride = 3 * n_heads * hd;
    int32_t cu[3] = {0, 13, T};
    static float qkv[37 * 144], att[37 * 48], att0[37 * 48];
    fill(qkv, (size_t)T * stride);
    int have_first = 0;
    for (size_t c = 0; om_cpu_isa_cap_name(c); c++) {
        const char *cap = om_cpu_isa_cap_name(c);
        if (!om_cpu_isa_cap_available(cap)) continue;
        om_cpu_isa_set_cap(cap);
        CHECK_INT(be->layernorm(be, ln, x, r, g, b, M, D, 1e-5f, &err), OPENMED_OK);
        CHECK_INT(be->activate(be, gy, gx, NG, OM_ACT_GELU, &err), OPENMED_OK);
        om_attention_args a = {0};
        a.out = att;
        a.q = qkv;
        a.k = qkv + n_heads * hd;
        a.v = qkv + 2 * n_heads * hd;
        a.q_stride = a.k_stride = a.v_stride = stride;
        a.out_stride = n_heads * hd;
        a.n_heads = a.n_kv_heads = n_heads;
        a.head_dim = hd;
        a.cu_seqlens = cu;
        a.n_seqs = 2;
        a.scale = 0.35f;
        a.window_left = a.window_right = -1;
        CHECK_INT(be->attention(be, &a, &err), OPENMED_OK);
        if (!have_first) {
            memcpy(ln0, ln, sizeof ln), memcpy(gy0, gy, sizeof gy), memcpy(att0, att, sizeof att);
            have_first = 1;
        }
        CHECK_MSG(memcmp(ln0, ln, sizeof ln) == 0, "layernorm differs under cap %s", cap);
        CHECK_MSG(memcmp(gy0, gy, sizeof gy) == 0, "gelu differs under cap %s", cap);
        CHECK_MSG(memcmp(att0, att, sizeof att) == 0, "attention differs under cap %s", cap);
    }
    om_cpu_isa_set_cap(NULL);
}

static void test_norms_and_elementwise(void) {
    enum { M = 9, D = 40 };
    float x[M * D], r[M * D], g[D], b[D], y[M * D];
    fill(x, M * D), fill(r, M * D), fill(g, D), fill(b, D);
    for (int with_res = 0; with_res < 2; with_res++)
        for (int with_beta = 0; with_beta < 2; with_beta++)
            for (int alias = 0; alias < 2; alias++) {
                float xc[M * D];
                memcpy(xc, x, sizeof x);
                float *out = alias ? xc : y;
                CHECK_INT(be->layernorm(be, out, xc, with_res ? r : NULL, g, with_beta ? b : NULL, M, D, 1e-5f, &err),
                          OPENMED_OK);
                for (int i = 0; i < M; i++) {
                    double mean = 0, var = 0, v[D];
                    for (int d = 0; d < D; d++) mean += v[d] = x[i * D + d] + (with_res ? r[i * D + d] : 0);
                    mean /= D;
                    for (int d = 0; d < D; d++) var += (v[d] - mean) * (v[d] - mean);
                    var /= D;
                    for (int d = 0; d < D; d++) {
                        double want = (v[d] - mean) / sqrt(var + 1e-5) * g[d] + (with_beta ? b[d] : 0);
                        CHECK_NEAR(out[i * D + d], want, 1e-5);
                    }
                }
            }
    CHECK_INT(be->rmsnorm(be, y, x, g, M, D, 1e-6f, &err), OPENMED_OK);
    for (int i = 0; i < M; i++) {
        double ss = 0;
        for (int d = 0; d < D; d++) ss += (double)x[i * D + d] * x[i * D + d];
        for (int d = 0; d < D; d++) CHECK_NEAR(y[i * D + d], x[i * D + d] / sqrt(ss / D + 1e-6) * g[d], 1e-5);
    }
    CHECK_INT(be->add(be, y, x, r, M * D, &err), OPENMED_OK);
    CHECK_NEAR(y[17], (double)x[17] + r[17], 1e-7);
    CHECK_INT(be->scale(be, y, x, 0.5f, M * D, &err), OPENMED_OK);
    CHECK_NEAR(y[5], x[5] * 0.5, 1e-7);
    for (int act = OM_ACT_NONE; act <= OM_ACT_QUICK_GELU; act++) {
        CHECK_INT(be->activate(be, y, x, M * D, (om_act)act, &err), OPENMED_OK);
        for (int i = 0; i < M * D; i++) CHECK_NEAR(y[i], act_ref(x[i], (om_act)act), 1e-6);
    }
    /* Exact GELU over a wide range, including the tails and a length that is not a multiple of 16. */
    enum { NG = 16001 };
    static float gx[NG], gy[NG];
    for (int i = 0; i < NG; i++) gx[i] = -10.0f + 20.0f * (float)i / (NG - 1);
    CHECK_INT(be->activate(be, gy, gx, NG, OM_ACT_GELU, &err), OPENMED_OK);
    double worst = 0;
    for (int i = 0; i < NG; i++) {
        double want = act_ref(gx[i], OM_ACT_GELU), d = fabs(gy[i] - want) / (fabs(want) > 1 ? fabs(want) : 1);
        if (d > worst) worst = d;
    }
    CHECK_MSG(worst < 2e-6, "gelu worst error %g", worst);
    /* GLU: x [M, 2F] = [input | gate], y [M, F]. */
    const int F = D / 2;
    CHECK_INT(be->glu(be, y, x, M, F, OM_ACT_SILU, &err), OPENMED_OK);
    for (int i = 0; i < M; i++)
        for (int f = 0; f < F; f++)
            CHECK_NEAR(y[i * F + f], act_ref(x[i * D + f], OM_ACT_SILU) * x[i * D + F + f], 1e-6);
}

static void test_embed(void) {
    float table[6 * 4];
    fill(table, 24);
    om_weight t = {table, OM_F32, 6, 4, NULL, 0};
    int32_t ids[3] = {5, 0, 5};
    float y[12] = {0};
    CHECK_INT(be->embed(be, y, &t, ids, 3, 0, &err), OPENMED_OK);
    CHECK(y[0] == table[20] && y[4] == table[0] && y[11] == table[23]);
    CHECK_INT(be->embed(be, y, &t, ids, 3, 1, &err), OPENMED_OK);
    CHECK_NEAR(y[1], 2.0 * table[21], 1e-7);
    uint16_t tb[24];
    for (int i = 0; i < 24; i++) tb[i] = to_bf16(table[i]);
    om_weight tk = {tb, OM_BF16, 6, 4, NULL, 0};
    CHECK_INT(be->embed(be, y, &tk, ids, 3, 0, &err), OPENMED_OK);
    CHECK(y[0] == from_bf16(tb[20]));
    ids[1] = 6;
    CHECK_INT(be->embed(be, y, &t, ids, 3, 0, &err), OPENMED_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "embed") != NULL);
}

/* Reference attention straight from the definition in backend.h. */
static void attention_ref(const om_attention_args *a, double *out) {
    int group = a->n_heads / a->n_kv_heads;
    int64_t bias_off = 0;
    for (int s = 0; s < a->n_seqs; s++) {
        int start = a->cu_seqlens[s], L = a->cu_seqlens[s + 1] - start;
        for (int h = 0; h < a->n_heads; h++) {
            int kh = h / group;
            for (int i = 0; i < L; i++) {
                double sc[64], m = -INFINITY, sum = 0;
                int vis[64];
                for (int j = 0; j < L; j++) {
                    vis[j] = (a->window_left < 0 || i - j <= a->window_left) &&
                             (a->window_right < 0 || j - i <= a->window_right);
                    double d = 0;
                    for (int e = 0; e < a->head_dim; e++)
                        d += (double)a->q[(start + i) * a->q_stride + h * a->head_dim + e] *
                             a->k[(start + j) * a->k_stride + kh * a->head_dim + e];
                    sc[j] = a->scale * d + (a->bias ? a->bias[bias_off + ((int64_t)h * L + i) * L + j] : 0);
                    if (vis[j] && sc[j] > m) m = sc[j];
                }
                if (a->sinks && a->sinks[h] > m) m = a->sinks[h];
                for (int j = 0; j < L; j++) sum += vis[j] ? exp(sc[j] - m) : 0;
                if (a->sinks) sum += exp(a->sinks[h] - m);
                for (int e = 0; e < a->head_dim; e++) {
                    double o = 0;
                    for (int j = 0; j < L; j++)
                        if (vis[j]) o += exp(sc[j] - m) / sum * a->v[(start + j) * a->v_stride + kh * a->head_dim + e];
                    out[(start + i) * a->out_stride + h * a->head_dim + e] = o;
                }
            }
        }
        bias_off += (int64_t)a->n_heads * L * L;
    }
}

/* head_dim 8 (below one 16-lane block) and 40 (two blocks and a tail); sequences of 5, 11, 1 and 40 */
static void test_attention(int hd) {
    const int n_heads = 4, kv_heads = 2, T = 5 + 11 + 1 + 40;
    int32_t cu[5] = {0, 5, 16, 17, 57};
    const int stride = (n_heads + 2 * kv_heads) * hd; /* packed qkv rows */
    float *qkv = malloc(sizeof(float) * T * stride), *out = malloc(sizeof(float) * T * n_heads * hd);
    double *ref = malloc(sizeof(double) * T * n_heads * hd);
    fill(qkv, (size_t)T * stride);
    float sinks[4] = {0.5f, -1.0f, 2.0f, 0.0f};
    int64_t bias_n = (int64_t)n_heads * (25 + 121 + 1 + 1600);
    float *bias = malloc(sizeof(float) * bias_n);
    fill(bias, (size_t)bias_n);
    /* Unlimited, one-sided, and bounded windows (narrow ones take the banded path). */
    const int windows[][2] = {{-1, -1}, {2, -1}, {3, 1}, {0, 0}, {4, 4}, {1, 7}};
    for (int wv = 0; wv < 6; wv++)
        for (int extras = 0; extras < 4; extras++) { /* 2, 3: precise (double accumulation) */
            om_attention_args a = {0};
            a.precise = extras >= 2;
            a.out = out;
            a.q = qkv;
            a.k = qkv + n_heads * hd;
            a.v = qkv + (n_heads + kv_heads) * hd;
            a.q_stride = a.k_stride = a.v_stride = stride;
            a.out_stride = n_heads * hd;
            a.n_heads = n_heads;
            a.n_kv_heads = kv_heads;
            a.head_dim = hd;
            a.cu_seqlens = cu;
            a.n_seqs = 4;
            a.scale = 0.35f;
            a.window_left = windows[wv][0];
            a.window_right = windows[wv][1];
            a.sinks = extras & 1 ? sinks : NULL;
            a.bias = extras & 1 ? bias : NULL;
            CHECK_INT(be->attention(be, &a, &err), OPENMED_OK);
            attention_ref(&a, ref);
            double worst = 0;
            for (int i = 0; i < T * n_heads * hd; i++)
                if (fabs(out[i] - ref[i]) > worst) worst = fabs(out[i] - ref[i]);
            CHECK_MSG(worst < (a.precise ? 2e-7 : 1e-5), "attention head_dim %d window %d extras %d: %g", hd, wv, extras,
                      worst);
        }
    free(qkv), free(out), free(ref), free(bias);
}

static void test_rope(void) {
    enum { rows = 6, heads = 2, hd = 8, stride = 20 };
    float x[rows * stride], orig[rows * stride], inv[3] = {1.0f, 0.1f, 0.01f};
    int32_t pos[rows] = {0, 1, 2, 7, 100, 3};
    fill(orig, rows * stride);
    for (int inter = 0; inter < 2; inter++)
        for (int rd = 4; rd <= 6; rd += 2) {
            memcpy(x, orig, sizeof x);
            om_rope_args a = {x, rows, stride, heads, hd, pos, inv, rd, 1.5f, inter};
            CHECK_INT(be->rope(be, &a, &err), OPENMED_OK);
            for (int t = 0; t < rows; t++)
                for (int h = 0; h < heads; h++) {
                    const float *o = orig + t * stride + h * hd;
                    float *v = x + t * stride + h * hd;
                    for (int i = 0; i < rd / 2; i++) {
                        int i0 = inter ? 2 * i : i, i1 = inter ? 2 * i + 1 : i + rd / 2;
                        double ang = (double)pos[t] * inv[i], c = cos(ang) * 1.5, s = sin(ang) * 1.5;
                        CHECK_NEAR(v[i0], o[i0] * c - o[i1] * s, 1e-4);
                        CHECK_NEAR(v[i1], o[i1] * c + o[i0] * s, 1e-4);
                    }
                    for (int i = rd; i < hd; i++) CHECK(v[i] == o[i]); /* past rotary_dim: untouched */
                }
            for (int t = 0; t < rows; t++) /* beyond the heads: untouched */
                for (int i = heads * hd; i < stride; i++) CHECK(x[t * stride + i] == orig[t * stride + i]);
        }
}

int main(void) {
    srand(3);
    if (om_backend_create("cpu", 2, &be, &err) != OPENMED_OK) return 1;
    CHECK_STR(be->name, "cpu");
    test_activation_names();
    /* every kernel path this CPU has, forced in turn */
    for (size_t c = 0; om_cpu_isa_cap_name(c); c++) {
        const char *cap = om_cpu_isa_cap_name(c);
        if (!om_cpu_isa_cap_available(cap)) continue;
        CHECK_INT(om_cpu_isa_set_cap(cap), 0);
        printf("cpu ops with kernels capped at %s\n", cap);
        test_linear();
        test_norms_and_elementwise();
        test_embed();
        test_attention(8);
        test_attention(40);
        test_rope();
    }
    test_precise_same_everywhere();
    test_elementwise_same_everywhere();
    CHECK_INT(om_cpu_isa_set_cap("bogus"), -1);
    CHECK_INT(om_cpu_isa_set_cap(NULL), 0);
    om_backend_destroy(be);
    return check_finish("test_cpu_ops");
}
