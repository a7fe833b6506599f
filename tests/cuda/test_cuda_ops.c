/* test_cuda_ops.c: every op of the cuda backend against the cpu backend (the reference) on random
 * inputs: shapes, strides, aliasing, dtypes, windows, sinks, bias, GQA, rope modes, DeBERTa bias,
 * MoE. Exits 77 (skipped) when no CUDA device is present; OM_TEST_VERBOSE=1 prints every comparison's
 * worst error, passing or not. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "check.h"
#include "fake_device.h"

static om_backend *cpu, *gpu;
static uint64_t rng = 0x9E3779B97F4A7C15ull;

static float frand(void) { /* uniform in [-1, 1) */
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (float)((rng >> 40) * (1.0 / 8388608.0)) - 1.0f;
}
static float *rand_vec(size_t n, float scale) {
    float *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) v[i] = frand() * scale;
    return v;
}

static uint16_t to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    u += 0x7fff + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}
static uint16_t to_f16(float f) { /* round to nearest even; inputs here are normal and small */
    uint32_t u;
    memcpy(&u, &f, 4);
    uint32_t sign = (u >> 16) & 0x8000, mant = u & 0x7fffff;
    int exp = (int)((u >> 23) & 0xff) - 127 + 15;
    if (exp <= 0) return (uint16_t)sign; /* flush tiny values (not produced by these tests) */
    uint32_t h = sign | ((uint32_t)exp << 10) | (mant >> 13);
    uint32_t rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) h++;
    return (uint16_t)h;
}

/* A device copy of host floats on backend be. */
static float *put(om_backend *be, const float *h, size_t n) {
    float *d = be->alloc(be, n * sizeof(float) + 4);
    openmed_error err;
    CHECK(d != NULL);
    CHECK_INT(be->upload(be, d, h, n * sizeof(float), &err), OPENMED_OK);
    return d;
}
static float *get(om_backend *be, const float *d, size_t n) {
    float *h = malloc(n * sizeof(float) + 4);
    openmed_error err;
    CHECK_INT(be->download(be, h, d, n * sizeof(float), &err), OPENMED_OK);
    return h;
}

/* max |a - b| / (1 + |b|) over n values must be <= tol. Returns the worst value. */
static double compare(const char *what, const float *a, const float *b, size_t n, double tol) {
    double worst = 0.0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]) / (1.0 + fabs((double)b[i]));
        if (!(d <= worst)) worst = d, at = i; /* NaN counts as worst */
    }
    CHECK_MSG(worst <= tol, "%s: cuda %.9g vs cpu %.9g at %zu (relative error %.3g > %.1g)", what, a[at], b[at], at,
              worst, tol);
    if (getenv("OM_TEST_VERBOSE")) printf("%-90s max relative error %.3g (bound %.1g)\n", what, worst, tol);
    return worst;
}

/* Run f on both backends over the same device-resident copies of `in`, then compare `out`. */
typedef struct bufs {
    float *c, *g; /* cpu and gpu copies */
    size_t n;
} bufs;
static bufs both(const float *h, size_t n) { return (bufs){put(cpu, h, n), put(gpu, h, n), n}; }
static void release(bufs *b) {
    cpu->free(cpu, b->c);
    gpu->free(gpu, b->g);
}
static void compare_bufs(const char *what, bufs *b, double tol) {
    float *hc = get(cpu, b->c, b->n), *hg = get(gpu, b->g, b->n);
    compare(what, hg, hc, b->n, tol);
    free(hc);
    free(hg);
}

static void prepare(om_backend *be, om_weight *w, const void *host, om_dtype dt, int64_t rows, int64_t cols, int keep) {
    openmed_error err;
    memset(w, 0, sizeof *w);
    w->data = host;
    w->dtype = dt;
    w->rows = rows;
    w->cols = cols;
    openmed_status st = be->prepare_weight(be, w, keep, &err);
    CHECK_MSG(st == OPENMED_OK, "prepare_weight on %s: %s", be->name, err.message);
}

static const om_act ACTS[] = {OM_ACT_NONE, OM_ACT_GELU, OM_ACT_GELU_TANH, OM_ACT_RELU, OM_ACT_SILU, OM_ACT_QUICK_GELU};

static void test_linear(om_dtype dt, int keep) {
    const int64_t shapes[][5] = {/* M, N, K, x_stride, y_stride */ {1, 1, 1, 0, 0},      {5, 7, 3, 0, 0},
                                 {37, 64, 96, 0, 0},  {130, 200, 72, 80, 256}, {257, 96, 768, 0, 0}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int64_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2], xs = shapes[s][3], ys = shapes[s][4];
        int64_t xr = xs ? xs : K, yr = ys ? ys : N;
        float *wf = rand_vec((size_t)(N * K), 1.0f / sqrtf((float)K));
        void *wh = wf;
        uint16_t *w16 = NULL;
        if (dt != OM_F32) {
            w16 = malloc((size_t)(N * K) * 2);
            for (int64_t i = 0; i < N * K; i++) w16[i] = dt == OM_F16 ? to_f16(wf[i]) : to_bf16(wf[i]);
            wh = w16;
        }
        om_weight wc, wg;
        prepare(cpu, &wc, wh, dt, N, K, keep);
        prepare(gpu, &wg, wh, dt, N, K, keep);
        float *xh = rand_vec((size_t)(M * xr), 1.0f), *bh = rand_vec((size_t)N, 0.5f);
        bufs x = both(xh, (size_t)(M * xr)), bias = both(bh, (size_t)N);
        for (size_t a = 0; a < sizeof ACTS / sizeof ACTS[0]; a++)
            for (int acc = 0; acc < 2; acc++)
                for (int use_bias = 0; use_bias < 2; use_bias++) {
                    float *yh = rand_vec((size_t)(M * yr), 1.0f);
                    bufs y = both(yh, (size_t)(M * yr));
                    openmed_error e1, e2;
                    CHECK_INT(cpu->linear(cpu, y.c, ys, x.c, xs, &wc, use_bias ? bias.c : NULL, M, ACTS[a], acc, &e1),
                              OPENMED_OK);
                    openmed_status st = gpu->linear(gpu, y.g, ys, x.g, xs, &wg, use_bias ? bias.g : NULL, M, ACTS[a], acc, &e2);
                    CHECK_MSG(st == OPENMED_OK, "cuda linear: %s", e2.message);
                    char what[128];
                    snprintf(what, sizeof what, "linear dt=%d keep=%d M=%lld N=%lld K=%lld act=%d acc=%d bias=%d", (int)dt,
                             keep, (long long)M, (long long)N, (long long)K, (int)ACTS[a], acc, use_bias);
                    compare_bufs(what, &y, 1e-4);
                    release(&y);
                    free(yh);
                }
        release(&x);
        release(&bias);
        cpu->release_weight(cpu, &wc);
        gpu->release_weight(gpu, &wg);
        free(xh), free(bh), free(wf), free(w16);
    }
}

/* float16 compute (set_precision): tensor-core GEMMs stay close to the float32 result, with and
 * without a bias (added in the GEMM's epilogue). */
static void test_linear_f16_compute(void) {
    openmed_error err;
    if (!gpu->set_precision) {
        CHECK_MSG(0, "cuda backend lacks set_precision");
        return;
    }
    const int64_t M = 300, N = 256, K = 768;
    float *wf = rand_vec((size_t)(N * K), 1.0f / sqrtf((float)K)), *xh = rand_vec((size_t)(M * K), 1.0f);
    float *bh = rand_vec((size_t)N, 1.0f);
    bufs bias = both(bh, (size_t)N);
    for (int p = 0; p < 4; p++) {
        om_dtype dt = p & 1 ? OM_BF16 : OM_F16;
        const int with_bias = p >= 2;
        CHECK_INT(gpu->set_precision(gpu, dt, &err), OPENMED_OK);
        om_weight wc, wg;
        prepare(cpu, &wc, wf, OM_F32, N, K, 0);
        prepare(gpu, &wg, wf, OM_F32, N, K, 0);
        CHECK_INT(wg.dtype, dt);
        bufs x = both(xh, (size_t)(M * K));
        float *zero = calloc((size_t)(M * N), sizeof(float));
        bufs y = both(zero, (size_t)(M * N));
        CHECK_INT(cpu->linear(cpu, y.c, 0, x.c, 0, &wc, with_bias ? bias.c : NULL, M, OM_ACT_NONE, 0, &err), OPENMED_OK);
        CHECK_INT(gpu->linear(gpu, y.g, 0, x.g, 0, &wg, with_bias ? bias.g : NULL, M, OM_ACT_NONE, 0, &err), OPENMED_OK);
        compare_bufs(dt == OM_BF16 ? (with_bias ? "linear bf16 compute, bias" : "linear bf16 compute")
                                   : (with_bias ? "linear f16 compute, bias" : "linear f16 compute"),
                     &y, dt == OM_BF16 ? 3e-2 : 4e-3);
        release(&x), release(&y);
        free(zero);
        cpu->release_weight(cpu, &wc);
        gpu->release_weight(gpu, &wg);
    }
    CHECK_INT(gpu->set_precision(gpu, OM_F32, &err), OPENMED_OK);
    CHECK_INT(gpu->set_precision(gpu, (om_dtype)7, &err), OPENMED_ERR_INVALID_ARGUMENT);
    release(&bias);
    free(wf), free(xh), free(bh);
}

static void test_norms(void) {
    const int64_t shapes[][2] = {{1, 1}, {3, 32}, {17, 768}, {64, 1000}, {5, 4096}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int64_t M = shapes[s][0], D = shapes[s][1];
        float *xh = rand_vec((size_t)(M * D), 3.0f), *rh = rand_vec((size_t)(M * D), 1.0f);
        float *gh = rand_vec((size_t)D, 1.0f), *bh = rand_vec((size_t)D, 1.0f);
        bufs g = both(gh, (size_t)D), b = both(bh, (size_t)D), r = both(rh, (size_t)(M * D));
        for (int variant = 0; variant < 4; variant++) {
            bufs x = both(xh, (size_t)(M * D));
            openmed_error err;
            const float *rc = variant & 1 ? r.c : NULL, *rg = variant & 1 ? r.g : NULL;
            const float *bc = variant & 2 ? b.c : NULL, *bg = variant & 2 ? b.g : NULL;
            /* in place (y = x) */
            CHECK_INT(cpu->layernorm(cpu, x.c, x.c, rc, g.c, bc, M, D, 1e-12f, &err), OPENMED_OK);
            CHECK_INT(gpu->layernorm(gpu, x.g, x.g, rg, g.g, bg, M, D, 1e-12f, &err), OPENMED_OK);
            compare_bufs("layernorm", &x, 1e-4);
            release(&x);
        }
        /* y aliasing the residual */
        bufs r2 = both(rh, (size_t)(M * D)), x = both(xh, (size_t)(M * D));
        openmed_error err;
        CHECK_INT(cpu->layernorm(cpu, r2.c, x.c, r2.c, g.c, b.c, M, D, 1e-5f, &err), OPENMED_OK);
        CHECK_INT(gpu->layernorm(gpu, r2.g, x.g, r2.g, g.g, b.g, M, D, 1e-5f, &err), OPENMED_OK);
        compare_bufs("layernorm y = residual", &r2, 1e-4);
        CHECK_INT(cpu->rmsnorm(cpu, x.c, x.c, g.c, M, D, 1e-6f, &err), OPENMED_OK);
        CHECK_INT(gpu->rmsnorm(gpu, x.g, x.g, g.g, M, D, 1e-6f, &err), OPENMED_OK);
        compare_bufs("rmsnorm", &x, 1e-4);
        release(&r2), release(&x), release(&g), release(&b), release(&r);
        free(xh), free(rh), free(gh), free(bh);
    }
}

static void test_embed(void) {
    const int64_t V = 1000, D = 96, M = 77;
    float *tf = rand_vec((size_t)(V * D), 1.0f);
    uint16_t *t16 = malloc((size_t)(V * D) * 2);
    int32_t ids[77];
    for (int i = 0; i < M; i++) ids[i] = (int32_t)((i * 7919) % V);
    ids[0] = 0, ids[1] = (int32_t)V - 1;
    for (int d = 0; d < 3; d++) {
        om_dtype dt = (om_dtype)d;
        const void *host = tf;
        if (dt != OM_F32) {
            for (int64_t i = 0; i < V * D; i++) t16[i] = dt == OM_F16 ? to_f16(tf[i]) : to_bf16(tf[i]);
            host = t16;
        }
        om_weight wc, wg;
        prepare(cpu, &wc, host, dt, V, D, 1);
        prepare(gpu, &wg, host, dt, V, D, 1);
        float *yh = rand_vec((size_t)(M * D), 1.0f);
        for (int acc = 0; acc < 2; acc++) {
            bufs y = both(yh, (size_t)(M * D));
            openmed_error err;
            CHECK_INT(cpu->embed(cpu, y.c, &wc, ids, M, acc, &err), OPENMED_OK);
            CHECK_INT(gpu->embed(gpu, y.g, &wg, ids, M, acc, &err), OPENMED_OK);
            compare_bufs("embed", &y, 1e-6);
            release(&y);
        }
        /* an id outside the table is refused with the position */
        int32_t bad[2] = {3, (int32_t)V};
        openmed_error err;
        bufs y = both(yh, 2 * (size_t)D);
        CHECK_INT(gpu->embed(gpu, y.g, &wg, bad, 2, 0, &err), OPENMED_ERR_INVALID_ARGUMENT);
        CHECK(strstr(err.message, "position 1") != NULL);
        release(&y);
        free(yh);
        cpu->release_weight(cpu, &wc);
        gpu->release_weight(gpu, &wg);
    }
    free(tf), free(t16);
}

static void test_elementwise(void) {
    const int64_t n = 10007, M = 33, F = 301;
    float *ah = rand_vec((size_t)n, 4.0f), *bh = rand_vec((size_t)n, 4.0f), *gh = rand_vec((size_t)(M * 2 * F), 4.0f);
    bufs a = both(ah, (size_t)n), b = both(bh, (size_t)n);
    openmed_error err;
    bufs y = both(ah, (size_t)n);
    CHECK_INT(cpu->add(cpu, y.c, a.c, b.c, n, &err), OPENMED_OK);
    CHECK_INT(gpu->add(gpu, y.g, a.g, b.g, n, &err), OPENMED_OK);
    compare_bufs("add", &y, 1e-6);
    CHECK_INT(cpu->add(cpu, y.c, y.c, b.c, n, &err), OPENMED_OK); /* aliasing */
    CHECK_INT(gpu->add(gpu, y.g, y.g, b.g, n, &err), OPENMED_OK);
    compare_bufs("add in place", &y, 1e-6);
    CHECK_INT(cpu->scale(cpu, y.c, a.c, 0.125f, n, &err), OPENMED_OK);
    CHECK_INT(gpu->scale(gpu, y.g, a.g, 0.125f, n, &err), OPENMED_OK);
    compare_bufs("scale", &y, 1e-6);
    for (size_t i = 0; i < sizeof ACTS / sizeof ACTS[0]; i++) {
        CHECK_INT(cpu->activate(cpu, y.c, a.c, n, ACTS[i], &err), OPENMED_OK);
        CHECK_INT(gpu->activate(gpu, y.g, a.g, n, ACTS[i], &err), OPENMED_OK);
        compare_bufs("activate", &y, 1e-5);
        bufs g = both(ah, (size_t)(M * F)), x = both(gh, (size_t)(M * 2 * F));
        CHECK_INT(cpu->glu(cpu, g.c, x.c, M, F, ACTS[i], &err), OPENMED_OK);
        CHECK_INT(gpu->glu(gpu, g.g, x.g, M, F, ACTS[i], &err), OPENMED_OK);
        compare_bufs("glu", &g, 1e-5);
        release(&g), release(&x);
    }
    release(&a), release(&b), release(&y);
    free(ah), free(bh), free(gh);
}

typedef struct att_case {
    int n_heads, n_kv_heads, head_dim, wl, wr, sinks, bias;
} att_case;

/* Attention in float32 compute (tol 1e-4), or float16/bfloat16 compute (set_precision), where
 * head sizes that are multiples of 16 up to 128 run on tensor cores with q, k, v and the
 * probabilities rounded to 16 bits, and the others on the float32 kernel. */
static void test_attention(om_dtype compute, double tol) {
    openmed_error perr;
    if (compute != OM_F32) CHECK_INT(gpu->set_precision(gpu, compute, &perr), OPENMED_OK);
    const char *cname = compute == OM_F16 ? "f16" : compute == OM_BF16 ? "bf16" : "f32";
    const int32_t lens[] = {1, 7, 33, 64, 130, 2, 200};
    const int n_seqs = sizeof lens / sizeof lens[0];
    int32_t cu[8] = {0};
    for (int s = 0; s < n_seqs; s++) cu[s + 1] = cu[s] + lens[s];
    const int64_t T = cu[n_seqs];
    int64_t sq = 0;
    for (int s = 0; s < n_seqs; s++) sq += (int64_t)lens[s] * lens[s];
    const att_case cases[] = {
        {4, 4, 64, -1, -1, 0, 0}, {4, 4, 16, -1, -1, 0, 0}, {4, 2, 80, -1, -1, 0, 0}, {2, 1, 128, -1, -1, 1, 0},
        {4, 4, 32, 8, 8, 0, 0},   {4, 4, 64, 16, 0, 1, 0},  {3, 3, 64, -1, -1, 0, 1}, {4, 4, 64, 5, 3, 1, 1},
        {2, 2, 256, -1, -1, 0, 0}, {6, 2, 48, 64, 64, 1, 1}, {2, 2, 96, 70, -1, 0, 1}, {3, 1, 112, -1, 40, 1, 0},
        {2, 2, 20, -1, -1, 0, 0},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const att_case *c = &cases[ci];
        const int H = c->n_heads, KV = c->n_kv_heads, Dh = c->head_dim;
        /* q, k, v interleaved in one [T, (H + 2 KV) Dh] buffer, like a fused QKV projection */
        const int64_t row = (int64_t)(H + 2 * KV) * Dh;
        float *qkv = rand_vec((size_t)(T * row), 2.0f);
        float *sink = rand_vec((size_t)H, 2.0f);
        float *bias = rand_vec((size_t)(H * sq), 3.0f);
        bufs bq = both(qkv, (size_t)(T * row)), bs = both(sink, (size_t)H), bb = both(bias, (size_t)(H * sq));
        float *zero = calloc((size_t)(T * H * Dh), sizeof(float));
        bufs out = both(zero, (size_t)(T * H * Dh));
        om_attention_args a = {0};
        a.q_stride = a.k_stride = a.v_stride = row;
        a.out_stride = (int64_t)H * Dh;
        a.n_heads = H, a.n_kv_heads = KV, a.head_dim = Dh;
        a.cu_seqlens = cu, a.n_seqs = n_seqs;
        a.scale = 1.0f / sqrtf((float)Dh);
        a.window_left = c->wl, a.window_right = c->wr;
        om_attention_args ac = a, ag = a;
        ac.out = out.c, ac.q = bq.c, ac.k = bq.c + (int64_t)H * Dh, ac.v = bq.c + (int64_t)(H + KV) * Dh;
        ag.out = out.g, ag.q = bq.g, ag.k = bq.g + (int64_t)H * Dh, ag.v = bq.g + (int64_t)(H + KV) * Dh;
        ac.sinks = c->sinks ? bs.c : NULL, ag.sinks = c->sinks ? bs.g : NULL;
        ac.bias = c->bias ? bb.c : NULL, ag.bias = c->bias ? bb.g : NULL;
        openmed_error err;
        CHECK_INT(cpu->attention(cpu, &ac, &err), OPENMED_OK);
        openmed_status st = gpu->attention(gpu, &ag, &err);
        CHECK_MSG(st == OPENMED_OK, "cuda attention: %s", err.message);
        char what[128];
        snprintf(what, sizeof what, "attention %s case %zu (H %d, KV %d, Dh %d, window %d/%d, sinks %d, bias %d)", cname,
                 ci, H, KV, Dh, c->wl, c->wr, c->sinks, c->bias);
        compare_bufs(what, &out, tol);
        release(&bq), release(&bs), release(&bb), release(&out);
        free(qkv), free(sink), free(bias), free(zero);
    }
    /* bad shapes are refused */
    om_attention_args bad = {0};
    int32_t cu2[2] = {0, 4};
    bad.cu_seqlens = cu2, bad.n_seqs = 1, bad.n_heads = 3, bad.n_kv_heads = 2, bad.head_dim = 64;
    openmed_error err;
    CHECK(gpu->attention(gpu, &bad, &err) != OPENMED_OK);
    if (compute != OM_F32) CHECK_INT(gpu->set_precision(gpu, OM_F32, &perr), OPENMED_OK);
}

static void test_rope(void) {
    const int64_t T = 50;
    const int H = 3, Dh = 64;
    const int64_t stride = (int64_t)H * Dh + 16;
    int32_t pos[50];
    for (int t = 0; t < T; t++) pos[t] = (t * 37) % 4000;
    for (int mode = 0; mode < 4; mode++) {
        int rotary = mode & 2 ? 32 : Dh;
        float inv_freq[32];
        for (int i = 0; i < rotary / 2; i++) inv_freq[i] = powf(10000.0f, -2.0f * i / rotary);
        float *xh = rand_vec((size_t)(T * stride), 1.0f);
        bufs x = both(xh, (size_t)(T * stride));
        om_rope_args a = {0};
        a.n_rows = T, a.row_stride = stride, a.n_heads = H, a.head_dim = Dh;
        a.positions = pos, a.inv_freq = inv_freq, a.rotary_dim = rotary, a.mscale = mode == 3 ? 1.3f : 1.0f;
        a.interleaved = mode & 1;
        openmed_error err;
        om_rope_args ac = a, ag = a;
        ac.x = x.c, ag.x = x.g;
        CHECK_INT(cpu->rope(cpu, &ac, &err), OPENMED_OK);
        CHECK_INT(gpu->rope(gpu, &ag, &err), OPENMED_OK);
        compare_bufs("rope", &x, 1e-4);
        release(&x);
        free(xh);
    }
}

static void test_deberta(void) {
    if (!cpu->deberta_rel_bias) {
        printf("cpu has no deberta_rel_bias in this build: skipping its comparison\n");
        return;
    }
    CHECK(gpu->deberta_rel_bias != NULL);
    const int32_t lens[] = {5, 40, 1, 77};
    int32_t cu[5] = {0};
    for (int s = 0; s < 4; s++) cu[s + 1] = cu[s] + lens[s];
    const int H = 3, n_rel = 24, max_len = 80;
    const int64_t T = cu[4];
    int64_t sq = 0;
    for (int s = 0; s < 4; s++) sq += (int64_t)lens[s] * lens[s];
    int32_t rel[2 * 80 - 1];
    for (int i = 0; i < 2 * max_len - 1; i++) { /* clamp |i - j| into n_rel buckets around the middle */
        int d = i - (max_len - 1);
        int r = d + n_rel / 2;
        rel[i] = r < 0 ? 0 : r >= n_rel ? n_rel - 1 : r;
    }
    float *c2p = rand_vec((size_t)(T * H * n_rel), 1.0f), *p2c = rand_vec((size_t)(T * H * n_rel), 1.0f);
    bufs bc = both(c2p, (size_t)(T * H * n_rel)), bp = both(p2c, (size_t)(T * H * n_rel));
    float *zero = calloc((size_t)(H * sq), sizeof(float));
    for (int terms = 1; terms < 4; terms++) {
        bufs out = both(zero, (size_t)(H * sq));
        openmed_error err;
        CHECK_INT(cpu->deberta_rel_bias(cpu, out.c, terms & 1 ? bc.c : NULL, terms & 2 ? bp.c : NULL, n_rel, rel, max_len,
                                        cu, 4, H, 0.125f, &err),
                  OPENMED_OK);
        openmed_status st = gpu->deberta_rel_bias(gpu, out.g, terms & 1 ? bc.g : NULL, terms & 2 ? bp.g : NULL, n_rel,
                                                  rel, max_len, cu, 4, H, 0.125f, &err);
        CHECK_MSG(st == OPENMED_OK, "cuda deberta_rel_bias: %s", err.message);
        compare_bufs("deberta_rel_bias", &out, 1e-6);
        release(&out);
    }
    rel[3] = n_rel;
    openmed_error err;
    bufs out = both(zero, (size_t)(H * sq));
    CHECK_INT(gpu->deberta_rel_bias(gpu, out.g, bc.g, bp.g, n_rel, rel, max_len, cu, 4, H, 1.0f, &err),
              OPENMED_ERR_INVALID_ARGUMENT);
    release(&out), release(&bc), release(&bp);
    free(c2p), free(p2c), free(zero);
}

static void test_moe(void) {
    if (!cpu->moe_route || !cpu->moe_experts) {
        printf("cpu has no moe ops in this build: skipping their comparison\n");
        return;
    }
    CHECK(gpu->moe_route != NULL && gpu->moe_experts != NULL);
    const int64_t M = 45, D = 64, F = 48;
    const int E = 8, k = 3;
    float *logits = rand_vec((size_t)(M * E), 3.0f);
    logits[5] = logits[6]; /* a tie */
    bufs lg = both(logits, (size_t)(M * E));
    int32_t *ids_c = cpu->alloc(cpu, (size_t)(M * k) * 4), *ids_g = gpu->alloc(gpu, (size_t)(M * k) * 4);
    float *wc = cpu->alloc(cpu, (size_t)(M * k) * 4), *wg = gpu->alloc(gpu, (size_t)(M * k) * 4);
    openmed_error err;
    CHECK_INT(cpu->moe_route(cpu, ids_c, wc, lg.c, M, E, k, &err), OPENMED_OK);
    CHECK_INT(gpu->moe_route(gpu, ids_g, wg, lg.g, M, E, k, &err), OPENMED_OK);
    int32_t *hic = malloc((size_t)(M * k) * 4), *hig = malloc((size_t)(M * k) * 4);
    CHECK_INT(cpu->download(cpu, hic, ids_c, (size_t)(M * k) * 4, &err), OPENMED_OK);
    CHECK_INT(gpu->download(gpu, hig, ids_g, (size_t)(M * k) * 4, &err), OPENMED_OK);
    CHECK(memcmp(hic, hig, (size_t)(M * k) * 4) == 0);
    float *hwc = get(cpu, wc, (size_t)(M * k)), *hwg = get(gpu, wg, (size_t)(M * k));
    compare("moe_route weights", hwg, hwc, (size_t)(M * k), 1e-6);

    float *gu = rand_vec((size_t)(E * D * 2 * F), 0.3f), *dn = rand_vec((size_t)(E * F * D), 0.3f);
    float *gub = rand_vec((size_t)(E * 2 * F), 0.5f), *dnb = rand_vec((size_t)(E * D), 0.5f);
    uint16_t *gu16 = malloc((size_t)(E * D * 2 * F) * 2), *dn16 = malloc((size_t)(E * F * D) * 2);
    for (int64_t i = 0; i < E * D * 2 * F; i++) gu16[i] = to_bf16(gu[i]);
    for (int64_t i = 0; i < E * F * D; i++) dn16[i] = to_bf16(dn[i]);
    bufs b1 = both(gub, (size_t)(E * 2 * F)), b2 = both(dnb, (size_t)(E * D));
    float *xh = rand_vec((size_t)(M * D), 2.0f), *yh = rand_vec((size_t)(M * D), 1.0f);
    bufs x = both(xh, (size_t)(M * D));
    for (int bf = 0; bf < 2; bf++) {
        om_moe_experts ec = {0}, eg = {0};
        ec.n_experts = eg.n_experts = E;
        ec.d_model = eg.d_model = D;
        ec.d_ff = eg.d_ff = F;
        ec.alpha = eg.alpha = 1.702f;
        ec.limit = eg.limit = 7.0f;
        prepare(cpu, &ec.gate_up, bf ? (void *)gu16 : gu, bf ? OM_BF16 : OM_F32, E * D, 2 * F, 1);
        prepare(gpu, &eg.gate_up, bf ? (void *)gu16 : gu, bf ? OM_BF16 : OM_F32, E * D, 2 * F, 1);
        prepare(cpu, &ec.down, bf ? (void *)dn16 : dn, bf ? OM_BF16 : OM_F32, E * F, D, 1);
        prepare(gpu, &eg.down, bf ? (void *)dn16 : dn, bf ? OM_BF16 : OM_F32, E * F, D, 1);
        ec.gate_up_bias = bf ? b1.c : NULL, eg.gate_up_bias = bf ? b1.g : NULL;
        ec.down_bias = b2.c, eg.down_bias = b2.g;
        bufs y = both(yh, (size_t)(M * D));
        CHECK_INT(cpu->moe_experts(cpu, y.c, x.c, M, ids_c, wc, k, &ec, &err), OPENMED_OK);
        openmed_status st = gpu->moe_experts(gpu, y.g, x.g, M, ids_g, wg, k, &eg, &err);
        CHECK_MSG(st == OPENMED_OK, "cuda moe_experts: %s", err.message);
        compare_bufs(bf ? "moe_experts bf16" : "moe_experts f32", &y, 1e-4);
        release(&y);
        cpu->release_weight(cpu, &ec.gate_up), cpu->release_weight(cpu, &ec.down);
        gpu->release_weight(gpu, &eg.gate_up), gpu->release_weight(gpu, &eg.down);
    }
    release(&lg), release(&b1), release(&b2), release(&x);
    cpu->free(cpu, ids_c), gpu->free(gpu, ids_g), cpu->free(cpu, wc), gpu->free(gpu, wg);
    free(logits), free(hic), free(hig), free(hwc), free(hwg), free(gu), free(dn), free(gub), free(dnb), free(gu16),
        free(dn16), free(xh), free(yh);
}

int main(void) {
    openmed_error err;
    /* OM_TEST_CUDA_AS_CPU=1 runs this file with the cpu backend behind fake device pointers
     * (fake_device.h) in the cuda seat: a self-check of the test itself (shapes, buffers, tolerances,
     * no host access to backend memory) on machines without a GPU; it proves nothing about cuda. */
    int self_check;
    int seat = om_fake_device_seat(&gpu, 2, &self_check);
    if (seat) return seat;
    CHECK_INT(om_backend_create("cpu", 2, &cpu, &err), OPENMED_OK);
    printf("comparing %s against cpu%s\n", gpu->name, self_check ? " (self-check: cpu in the cuda seat)" : "");
    test_linear(OM_F32, 0);
    test_linear(OM_F16, 0);
    test_linear(OM_BF16, 1);
    test_linear(OM_F16, 1);
    if (!self_check) test_linear_f16_compute();
    test_norms();
    test_embed();
    test_elementwise();
    test_attention(OM_F32, 1e-4);
    if (!self_check) test_attention(OM_F16, 4e-3);
    if (!self_check) test_attention(OM_BF16, 3e-2);
    test_rope();
    test_deberta();
    test_moe();
    CHECK_INT(gpu->synchronize(gpu, &err), OPENMED_OK);
    om_backend_destroy(gpu);
    om_backend_destroy(cpu);
    return check_finish("test_cuda_ops");
}
