/* ops_moe.c: the CPU's mixture-of-experts ops (backend.h, "mixture of experts"): top-k routing and
 * the routed expert MLPs with the clamped SwiGLU of gpt-oss / the privacy filter.
 *
 * moe_experts groups the routed (token, slot) pairs by expert, then each expert runs two sgemms over
 * its gathered rows (bf16/f16 expert weights are converted one expert at a time into scratch, so
 * the checkpoint stays in its stored dtype). Results land in a per-(token, slot) buffer and are summed
 * in slot order afterwards, so the output is deterministic whatever the thread count. Tokens are
 * processed in blocks to bound the scratch memory. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cpu/cpu.h"
#include "core/error.h"

#define MOE_TOKEN_BLOCK 2048 /* tokens per pass: bounds the [block * k, d_model] slot buffer */

static openmed_status cpu_moe_route(om_backend *be, int32_t *expert_ids, float *weights, const float *logits,
                                    int64_t M, int n_experts, int k, openmed_error *err) {
    if (M < 0 || n_experts <= 0 || k <= 0 || k > n_experts)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "cpu moe_route: bad shape (M %lld, %d experts, top %d)",
                       (long long)M, n_experts, k);
    for (int64_t t = 0; t < M; t++) {
        const float *row = logits + t * n_experts;
        int32_t *ids = expert_ids + t * k;
        float *w = weights + t * k;
        for (int j = 0; j < k; j++) { /* selection of the j-th largest, lowest id first on ties */
            int best = -1;
            for (int e = 0; e < n_experts; e++) {
                int taken = 0;
                for (int i = 0; i < j; i++) taken |= (ids[i] == e);
                if (taken) continue;
                if (best < 0 || row[e] > row[best]) best = e;
            }
            ids[j] = best;
        }
        float mx = row[ids[0]], sum = 0.0f;
        for (int j = 0; j < k; j++) {
            w[j] = expf(row[ids[j]] - mx);
            sum += w[j];
        }
        for (int j = 0; j < k; j++) w[j] /= sum;
    }
    return OPENMED_OK;
}

typedef struct moe_job {
    const om_moe_experts *ex;
    const float *x;           /* rows of this block */
    const int32_t *order;     /* routed pairs (t * k + j) grouped by expert */
    const int64_t *first;     /* [n_experts + 1] offsets into order */
    const int32_t *active;    /* experts with at least one pair */
    const int32_t *expert_ids;
    int k;
    float *slots;             /* [block * k, d_model] */
    int failed;
} moe_job;

/* The expert matrix e of w ([n_experts * rows, cols]) as float32: in place, or converted into buf. */
static const float *expert_matrix(const om_weight *w, int e, int64_t rows, float *buf) {
    int64_t cols = w->cols, n = rows * cols;
    if (w->dtype == OM_F32) return (const float *)w->data + (int64_t)e * n;
    const unsigned char *src = (const unsigned char *)w->data + (size_t)e * (size_t)n * om_dtype_size(w->dtype);
    om_cpu_to_f32(buf, src, w->dtype, n);
    return buf;
}

static void moe_experts_range(void *p, int64_t begin, int64_t end) {
    moe_job *job = p;
    const om_moe_experts *ex = job->ex;
    int64_t D = ex->d_model, F = ex->d_ff;
    int64_t max_rows = 0;
    for (int64_t a = begin; a < end; a++) {
        int e = job->active[a];
        int64_t n = job->first[e + 1] - job->first[e];
        if (n > max_rows) max_rows = n;
    }
    int need_w1 = ex->gate_up.dtype != OM_F32, need_w2 = ex->down.dtype != OM_F32;
    size_t floats = (size_t)max_rows * (size_t)(D + 2 * F + D) + (need_w1 ? (size_t)(D * 2 * F) : 0) +
                    (need_w2 ? (size_t)(F * D) : 0);
    float *scratch = malloc(floats * sizeof(float));
    if (!scratch) {
        job->failed = 1;
        return;
    }
    float *X = scratch, *H = X + max_rows * D, *O = H + max_rows * 2 * F;
    float *w1buf = O + max_rows * D, *w2buf = w1buf + (need_w1 ? D * 2 * F : 0);
    for (int64_t a = begin; a < end && !job->failed; a++) {
        int e = job->active[a];
        const int32_t *pairs = job->order + job->first[e];
        int64_t n = job->first[e + 1] - job->first[e];
        for (int64_t r = 0; r < n; r++) memcpy(X + r * D, job->x + (pairs[r] / job->k) * D, (size_t)D * sizeof(float));
        const float *W1 = expert_matrix(&ex->gate_up, e, D, w1buf);
        if (om_cpu_sgemm('N', 'N', n, 2 * F, D, 1.0f, X, D, W1, 2 * F, 0.0f, H, 2 * F) != dnnl_success) {
            job->failed = 1;
            break;
        }
        const float *b1 = ex->gate_up_bias ? ex->gate_up_bias + (int64_t)e * 2 * F : NULL;
        for (int64_t r = 0; r < n; r++) {
            float *h = H + r * 2 * F, *act = H + r * F; /* compacted in place: act row r overwrites h rows < r */
            for (int64_t i = 0; i < F; i++) {
                float g = h[i] + (b1 ? b1[i] : 0.0f), u = h[F + i] + (b1 ? b1[F + i] : 0.0f);
                if (g > ex->limit) g = ex->limit;
                if (u > ex->limit) u = ex->limit;
                if (u < -ex->limit) u = -ex->limit;
                act[i] = g / (1.0f + expf(-ex->alpha * g)) * (u + 1.0f);
            }
        }
        const float *W2 = expert_matrix(&ex->down, e, F, w2buf);
        if (om_cpu_sgemm('N', 'N', n, D, F, 1.0f, H, F, W2, D, 0.0f, O, D) != dnnl_success) {
            job->failed = 1;
            break;
        }
        const float *b2 = ex->down_bias ? ex->down_bias + (int64_t)e * D : NULL;
        for (int64_t r = 0; r < n; r++) {
            float *slot = job->slots + (int64_t)pairs[r] * D;
            const float *o = O + r * D;
            for (int64_t i = 0; i < D; i++) slot[i] = o[i] + (b2 ? b2[i] : 0.0f);
        }
    }
    free(scratch);
}

typedef struct moe_sum_job {
    float *y;
    const float *slots, *weights;
    int k;
    int64_t D;
} moe_sum_job;

static void moe_sum_rows(void *p, int64_t begin, int64_t end) {
    const moe_sum_job *j = p;
    for (int64_t t = begin; t < end; t++) {
        float *y = j->y + t * j->D;
        for (int s = 0; s < j->k; s++) {
            const float *slot = j->slots + (t * j->k + s) * j->D;
            float w = j->weights[t * j->k + s];
            for (int64_t i = 0; i < j->D; i++) y[i] += w * slot[i];
        }
    }
}

static openmed_status cpu_moe_experts(om_backend *be, float *y, const float *x, int64_t M, const int32_t *expert_ids,
                                      const float *weights, int k, const om_moe_experts *ex, openmed_error *err) {
    int E = ex->n_experts;
    int64_t D = ex->d_model, F = ex->d_ff;
    if (M < 0 || E <= 0 || k <= 0 || D <= 0 || F <= 0 || ex->gate_up.rows != E * D || ex->gate_up.cols != 2 * F ||
        ex->down.rows != E * F || ex->down.cols != D)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT,
                       "cpu moe_experts: shapes disagree (%d experts, d_model %lld, d_ff %lld; gate_up [%lld, %lld], "
                       "down [%lld, %lld])",
                       E, (long long)D, (long long)F, (long long)ex->gate_up.rows, (long long)ex->gate_up.cols,
                       (long long)ex->down.rows, (long long)ex->down.cols);
    if (M == 0) return OPENMED_OK;
    int64_t block = M < MOE_TOKEN_BLOCK ? M : MOE_TOKEN_BLOCK;
    float *slots = malloc((size_t)block * (size_t)k * (size_t)D * sizeof(float));
    int32_t *order = malloc((size_t)block * (size_t)k * sizeof(int32_t));
    int64_t *first = calloc((size_t)E + 2, sizeof(int64_t));
    int32_t *active = malloc((size_t)E * sizeof(int32_t));
    if (!slots || !order || !first || !active) {
        free(slots), free(order), free(first), free(active);
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "cpu moe_experts: out of memory for %lld tokens", (long long)M);
    }
    openmed_status st = OPENMED_OK;
    int threads = om_cpu_threads(be);
    for (int64_t t0 = 0; t0 < M && st == OPENMED_OK; t0 += block) {
        int64_t n = M - t0 < block ? M - t0 : block;
        const int32_t *ids = expert_ids + t0 * k;
        /* counting sort of the n * k routed pairs by expert */
        memset(first, 0, sizeof(int64_t) * ((size_t)E + 2));
        for (int64_t p = 0; p < n * k; p++) {
            if (ids[p] < 0 || ids[p] >= E) {
                st = om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "cpu moe_experts: expert id %d of token %lld outside [0, %d)",
                             (int)ids[p], (long long)(t0 + p / k), E);
                break;
            }
            first[ids[p] + 2]++;
        }
        if (st != OPENMED_OK) break;
        for (int e = 0; e < E; e++) first[e + 2] += first[e + 1];
        for (int64_t p = 0; p < n * k; p++) order[first[ids[p] + 1]++] = (int32_t)p;
        int n_active = 0;
        for (int e = 0; e < E; e++)
            if (first[e + 1] > first[e]) active[n_active++] = e;
        moe_job job = {ex, x + t0 * D, order, first, active, ids, k, slots, 0};
        om_cpu_parallel_for(threads, n_active, 1, moe_experts_range, &job);
        if (job.failed) {
            st = om_fail(err, OPENMED_ERR_INTERNAL, "cpu moe_experts: expert GEMM failed or out of memory");
            break;
        }
        moe_sum_job sum = {y + t0 * D, slots, weights + t0 * k, k, D};
        om_cpu_parallel_for(threads, n, (16384 + D * k - 1) / (D * k), moe_sum_rows, &sum);
    }
    free(slots), free(order), free(first), free(active);
    return st;
}

void om_cpu_install_moe(om_backend *be) {
    be->moe_route = cpu_moe_route;
    be->moe_experts = cpu_moe_experts;
}
