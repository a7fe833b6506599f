/* test_pipeline_batch.c: packing windows into forward passes without padding. The forward here
 * writes, for each token, logits that depend on its id, its position in its own sequence and
 * that sequence's length, so any packing mistake (wrong boundaries, rows copied to the wrong
 * window, sequences leaking into each other) changes the numbers. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pipeline/batch.h"

enum { L = 3 };

typedef struct calls {
    int n_calls;
    int max_seqs;
    int64_t max_tokens;
} calls;

static openmed_status fake_forward(void *ctx, const om_batch *b, float *logits, openmed_error *err) {
    calls *c = ctx;
    c->n_calls++;
    if (b->n_seqs > c->max_seqs) c->max_seqs = b->n_seqs;
    if (b->n_tokens > c->max_tokens) c->max_tokens = b->n_tokens;
    CHECK_INT(b->cu_seqlens[0], 0);
    CHECK_INT(b->cu_seqlens[b->n_seqs], b->n_tokens);
    for (int s = 0; s < b->n_seqs; s++) {
        int32_t a = b->cu_seqlens[s], e = b->cu_seqlens[s + 1];
        for (int32_t t = a; t < e; t++) {
            logits[t * L + 0] = (float)b->ids[t];
            logits[t * L + 1] = (float)(t - a);
            logits[t * L + 2] = (float)(e - a);
        }
    }
    return OPENMED_OK;
}

/* A cancellation callback that says "stop" from its (limit+1)-th question on. */
typedef struct stopper {
    int asked, limit;
} stopper;

static int stop_after(void *ctx) {
    stopper *s = ctx;
    return s->asked++ >= s->limit;
}

int main(void) {
    enum { N = 11 };
    int32_t ids[N][40];
    float out[N][40 * L];
    om_batch_item items[N];
    for (int i = 0; i < N; i++) {
        int n = i == 4 ? 0 : 3 + (i * 7) % 37; /* one empty window */
        for (int t = 0; t < n; t++) ids[i][t] = 1000 * i + t;
        items[i] = (om_batch_item){ids[i], n, out[i]};
    }
    for (int bs = 1; bs <= 12; bs++) {
        for (int cap = 0; cap <= 50; cap += 50) {
            memset(out, 0xff, sizeof out);
            calls c = {0};
            openmed_error err = {0};
            CHECK(om_batch_run(fake_forward, &c, items, N, bs, cap, L, NULL, &err) == OPENMED_OK);
            int ok = 1;
            for (int i = 0; i < N; i++)
                for (int t = 0; t < items[i].n; t++)
                    ok = ok && out[i][t * L] == (float)ids[i][t] && out[i][t * L + 1] == (float)t &&
                         out[i][t * L + 2] == (float)items[i].n;
            CHECK_MSG(ok, "batch size %d, token cap %d: logits differ from one window at a time", bs, cap);
            CHECK(c.max_seqs <= bs);
            if (cap) CHECK(c.max_tokens <= cap);
            if (!cap) CHECK(c.n_calls <= (N + bs - 1) / bs && c.n_calls >= (N - 1 + bs - 1) / bs);
        }
    }
    openmed_error err = {0};
    CHECK(om_batch_run(fake_forward, NULL, items, N, 0, 0, L, NULL, &err) == OPENMED_ERR_INVALID_ARGUMENT);
    /* Cancellation is asked before every pass: stopping at the third question leaves two passes run. */
    for (int limit = 0; limit <= 4; limit++) {
        calls c = {0};
        stopper s = {0, limit};
        om_cancel cancel = {stop_after, &s};
        CHECK_INT(om_batch_run(fake_forward, &c, items, N, 2, 0, L, &cancel, &err), OPENMED_ERR_CANCELLED);
        CHECK_INT(c.n_calls, limit);
        CHECK(strstr(err.message, "cancelled") != NULL);
    }
    /* A callback that never stops changes nothing. */
    calls c = {0};
    stopper never = {0, 1000};
    om_cancel cancel = {stop_after, &never};
    CHECK_INT(om_batch_run(fake_forward, &c, items, N, 2, 0, L, &cancel, &err), OPENMED_OK);
    CHECK_INT(never.asked, (N + 1) / 2);
    return check_finish("test_pipeline_batch");
}
