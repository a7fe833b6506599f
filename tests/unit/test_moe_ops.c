/* test_moe_ops.c: the CPU mixture-of-experts ops against a double-precision statement of the
 * formulas in backend.h: top-k routing (descending, lowest id on ties, softmax over the chosen),
 * the clamped SwiGLU (gate clamped above only, linear half clamped both ways, +1), biases or none,
 * bf16 expert weights equal to their f32 values, more tokens than one internal block, bad ids. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "check.h"

static unsigned seed = 99u;
static float rnd(float scale) {
    seed = seed * 1103515245u + 12345u;
    return scale * (((seed >> 8) & 0xFFFF) / 32768.0f - 1.0f);
}

static uint16_t bf16_bits(float f) {
    uint32_t b;
    memcpy(&b, &f, 4);
    return (uint16_t)(b >> 16); /* values below are already bf16-exact */
}

static float bf16_round(float f) {
    uint32_t b;
    memcpy(&b, &f, 4);
    b = (b + 0x7FFF + ((b >> 16) & 1)) & 0xFFFF0000u;
    memcpy(&f, &b, 4);
    return f;
}

/* y[t] += sum_j w_j expert_{ids_j}(x[t]) in double. */
static void reference(double *y, const float *x, int64_t M, const int32_t *ids, const float *w, int k, int E, int64_t D,
                      int64_t F, const float *W1, const float *b1, const float *W2, const float *b2, float alpha,
                      float limit) {
    double *h = malloc(sizeof(double) * 2 * F), *a = malloc(sizeof(double) * F);
    for (int64_t t = 0; t < M; t++)
        for (int j = 0; j < k; j++) {
            int e = ids[t * k + j];
            for (int64_t c = 0; c < 2 * F; c++) {
                double s = b1 ? b1[e * 2 * F + c] : 0.0;
                for (int64_t i = 0; i < D; i++) s += (double)x[t * D + i] * W1[(e * D + i) * 2 * F + c];
                h[c] = s;
            }
            for (int64_t c = 0; c < F; c++) {
                double g = fmin(h[c], limit), u = fmax(fmin(h[F + c], limit), -limit);
                a[c] = g / (1.0 + exp(-alpha * g)) * (u + 1.0);
            }
            for (int64_t c = 0; c < D; c++) {
                double s = b2 ? b2[e * D + c] : 0.0;
                for (int64_t i = 0; i < F; i++) s += a[i] * W2[(e * F + i) * D + c];
                y[t * D + c] += w[t * k + j] * s;
            }
        }
    free(h), free(a);
}

int main(void) {
    om_backend *be;
    openmed_error err;
    if (om_backend_create("cpu", 0, &be, &err) != OPENMED_OK) return 1;
    CHECK(be->moe_route && be->moe_experts);
    if (!be->moe_route || !be->moe_experts) return check_finish("test_moe_ops");

    /* routing */
    {
        float logits[2 * 5] = {0.5f, 2.0f, 2.0f, -1.0f, 1.0f, /* tie between experts 1 and 2 */
                               3.0f, 3.0f, 3.0f, 3.0f, 3.0f};
        int32_t ids[2 * 3];
        float w[2 * 3];
        CHECK(be->moe_route(be, ids, w, logits, 2, 5, 3, &err) == OPENMED_OK);
        CHECK_INT(ids[0], 1); CHECK_INT(ids[1], 2); CHECK_INT(ids[2], 4);
        double z = 2 * exp(2.0) + exp(1.0);
        CHECK_NEAR(w[0], exp(2.0) / z, 1e-6); CHECK_NEAR(w[2], exp(1.0) / z, 1e-6);
        CHECK_INT(ids[3], 0); CHECK_INT(ids[4], 1); CHECK_INT(ids[5], 2);
        CHECK_NEAR(w[3] + w[4] + w[5], 1.0, 1e-6);
        CHECK(be->moe_route(be, ids, w, logits, 2, 5, 6, &err) == OPENMED_ERR_INVALID_ARGUMENT);
        CHECK(be->moe_route(be, ids, w, logits, 2, 5, 0, &err) == OPENMED_ERR_INVALID_ARGUMENT);
    }

    /* experts: large weights so the clamps bite on both sides */
    const int E = 5, k = 2;
    const int64_t D = 12, F = 8, M = 2100; /* more tokens than one internal block (2048) */
    float *W1 = malloc(sizeof(float) * E * D * 2 * F), *W2 = malloc(sizeof(float) * E * F * D);
    float *b1 = malloc(sizeof(float) * E * 2 * F), *b2 = malloc(sizeof(float) * E * D);
    uint16_t *W1h = malloc(2 * E * D * 2 * F), *W2h = malloc(2 * E * F * D);
    for (int64_t i = 0; i < E * D * 2 * F; i++) W1[i] = bf16_round(rnd(3.0f)), W1h[i] = bf16_bits(W1[i]);
    for (int64_t i = 0; i < E * F * D; i++) W2[i] = bf16_round(rnd(0.5f)), W2h[i] = bf16_bits(W2[i]);
    for (int64_t i = 0; i < E * 2 * F; i++) b1[i] = rnd(2.0f);
    for (int64_t i = 0; i < E * D; i++) b2[i] = rnd(0.5f);
    float *x = malloc(sizeof(float) * M * D), *logits = malloc(sizeof(float) * M * E), *w = malloc(sizeof(float) * M * k);
    int32_t *ids = malloc(sizeof(int32_t) * M * k);
    for (int64_t i = 0; i < M * D; i++) x[i] = rnd(1.0f);
    for (int64_t i = 0; i < M * E; i++) logits[i] = rnd(2.0f);
    CHECK(be->moe_route(be, ids, w, logits, M, E, k, &err) == OPENMED_OK);

    int clamped_gate = 0, clamped_low = 0; /* the test must reach both clamps */
    for (int64_t t = 0; t < 64; t++)
        for (int64_t c = 0; c < 2 * F; c++) {
            int e = ids[t * k];
            double s = b1[e * 2 * F + c];
            for (int64_t i = 0; i < D; i++) s += (double)x[t * D + i] * W1[(e * D + i) * 2 * F + c];
            clamped_gate += c < F && s > 7.0;
            clamped_low += c >= F && s < -7.0;
        }
    CHECK(clamped_gate > 0 && clamped_low > 0);

    for (int with_bias = 0; with_bias < 2; with_bias++)
        for (int bf16 = 0; bf16 < 2; bf16++) {
            om_moe_experts ex = {E, D, F, {0}, with_bias ? b1 : NULL, {0}, with_bias ? b2 : NULL, 1.702f, 7.0f};
            ex.gate_up = (om_weight){bf16 ? (const void *)W1h : W1, bf16 ? OM_BF16 : OM_F32, E * D, 2 * F, NULL, 0};
            ex.down = (om_weight){bf16 ? (const void *)W2h : W2, bf16 ? OM_BF16 : OM_F32, E * F, D, NULL, 0};
            CHECK(be->prepare_weight(be, &ex.gate_up, 1, &err) == OPENMED_OK);
            CHECK(be->prepare_weight(be, &ex.down, 1, &err) == OPENMED_OK);
            float *y = malloc(sizeof(float) * M * D);
            double *ref = malloc(sizeof(double) * M * D);
            for (int64_t i = 0; i < M * D; i++) y[i] = ref[i] = 0.25; /* accumulates into y */
            CHECK(be->moe_experts(be, y, x, M, ids, w, k, &ex, &err) == OPENMED_OK);
            reference(ref, x, M, ids, w, k, E, D, F, W1, ex.gate_up_bias, W2, ex.down_bias, 1.702f, 7.0f);
            double worst = 0;
            for (int64_t i = 0; i < M * D; i++) {
                double d = fabs(y[i] - ref[i]) / (fabs(ref[i]) > 1 ? fabs(ref[i]) : 1);
                if (d > worst) worst = d;
            }
            CHECK_MSG(worst < 1e-5, "bias %d bf16 %d: %g", with_bias, bf16, worst);
            be->release_weight(be, &ex.gate_up);
            be->release_weight(be, &ex.down);
            free(y), free(ref);
        }

    /* bad inputs: an expert id out of range, shapes that disagree, zero tokens */
    {
        om_moe_experts ex = {E, D, F, {W1, OM_F32, E * D, 2 * F, NULL, 0}, NULL, {W2, OM_F32, E * F, D, NULL, 0}, NULL,
                             1.702f, 7.0f};
        float y[2 * 12] = {0};
        int32_t bad_ids[4] = {0, 1, 7, 2};
        CHECK(be->moe_experts(be, y, x, 2, bad_ids, w, k, &ex, &err) == OPENMED_ERR_INVALID_ARGUMENT);
        CHECK(strstr(err.message, "expert id 7") != NULL);
        CHECK(be->moe_experts(be, y, x, 0, ids, w, k, &ex, &err) == OPENMED_OK);
        ex.d_ff = 7;
        CHECK(be->moe_experts(be, y, x, 2, ids, w, k, &ex, &err) == OPENMED_ERR_INVALID_ARGUMENT);
    }
    free(W1), free(W2), free(b1), free(b2), free(W1h), free(W2h), free(x), free(logits), free(w), free(ids);
    om_backend_destroy(be);
    return check_finish("test_moe_ops");
}
