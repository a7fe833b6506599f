/* fake_device.c: the cpu backend behind pointers the host cannot dereference (see fake_device.h). */
#include "fake_device.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAKE_OFFSET ((uintptr_t)1 << 47)

static om_backend *inner(om_backend *be) { return (om_backend *)be->ctx; }
static void *up(const void *p) { return p ? (void *)((uintptr_t)p + FAKE_OFFSET) : NULL; }
static void *dn(const void *p) { return p ? (void *)((uintptr_t)p - FAKE_OFFSET) : NULL; }
static om_weight host_view(const om_weight *w) {
    om_weight v = *w;
    v.data = dn(w->data);
    return v;
}

static void fake_destroy(om_backend *be) {
    om_backend_destroy(inner(be));
    free(be);
}
static void *fake_alloc(om_backend *be, size_t bytes) { return up(inner(be)->alloc(inner(be), bytes)); }
static void fake_free(om_backend *be, void *p) { inner(be)->free(inner(be), dn(p)); }
static openmed_status fake_upload(om_backend *be, void *dst, const void *src, size_t bytes, openmed_error *err) {
    return inner(be)->upload(inner(be), dn(dst), src, bytes, err);
}
static openmed_status fake_download(om_backend *be, void *dst, const void *src, size_t bytes, openmed_error *err) {
    return inner(be)->download(inner(be), dst, dn(src), bytes, err);
}
static openmed_status fake_sync(om_backend *be, openmed_error *err) { return inner(be)->synchronize(inner(be), err); }
static openmed_status fake_prepare_weight(om_backend *be, om_weight *w, int keep, openmed_error *err) {
    openmed_status s = inner(be)->prepare_weight(inner(be), w, keep, err);
    if (s == OPENMED_OK) w->data = up(w->data);
    return s;
}
static void fake_release_weight(om_backend *be, om_weight *w) {
    w->data = dn(w->data);
    inner(be)->release_weight(inner(be), w);
}
static const float *fake_prepare_vector(om_backend *be, const float *host, int64_t n, openmed_error *err) {
    return up(inner(be)->prepare_vector(inner(be), host, n, err));
}
static void fake_release_vector(om_backend *be, const float *p) { inner(be)->release_vector(inner(be), dn(p)); }

static openmed_status fake_linear(om_backend *be, float *y, int64_t ys, const float *x, int64_t xs, const om_weight *w,
                                  const float *bias, int64_t M, om_act act, int acc, openmed_error *err) {
    om_weight v = host_view(w);
    return inner(be)->linear(inner(be), dn(y), ys, dn(x), xs, &v, dn(bias), M, act, acc, err);
}
static openmed_status fake_layernorm(om_backend *be, float *y, const float *x, const float *r, const float *g,
                                     const float *b, int64_t M, int64_t D, float eps, openmed_error *err) {
    return inner(be)->layernorm(inner(be), dn(y), dn(x), dn(r), dn(g), dn(b), M, D, eps, err);
}
static openmed_status fake_rmsnorm(om_backend *be, float *y, const float *x, const float *g, int64_t M, int64_t D,
                                   float eps, openmed_error *err) {
    return inner(be)->rmsnorm(inner(be), dn(y), dn(x), dn(g), M, D, eps, err);
}
static openmed_status fake_embed(om_backend *be, float *y, const om_weight *t, const int32_t *ids, int64_t M, int acc,
                                 openmed_error *err) {
    om_weight v = host_view(t);
    return inner(be)->embed(inner(be), dn(y), &v, ids, M, acc, err);
}
static openmed_status fake_add(om_backend *be, float *y, const float *a, const float *b, int64_t n, openmed_error *err) {
    return inner(be)->add(inner(be), dn(y), dn(a), dn(b), n, err);
}
static openmed_status fake_scale(om_backend *be, float *y, const float *x, float s, int64_t n, openmed_error *err) {
    return inner(be)->scale(inner(be), dn(y), dn(x), s, n, err);
}
static openmed_status fake_activate(om_backend *be, float *y, const float *x, int64_t n, om_act act, openmed_error *err) {
    return inner(be)->activate(inner(be), dn(y), dn(x), n, act, err);
}
static openmed_status fake_glu(om_backend *be, float *y, const float *x, int64_t M, int64_t F, om_act act,
                               openmed_error *err) {
    return inner(be)->glu(inner(be), dn(y), dn(x), M, F, act, err);
}
static openmed_status fake_attention(om_backend *be, const om_attention_args *a, openmed_error *err) {
    om_attention_args h = *a;
    h.out = dn(a->out), h.q = dn(a->q), h.k = dn(a->k), h.v = dn(a->v), h.sinks = dn(a->sinks), h.bias = dn(a->bias);
    return inner(be)->attention(inner(be), &h, err);
}
static openmed_status fake_rope(om_backend *be, const om_rope_args *a, openmed_error *err) {
    om_rope_args h = *a;
    h.x = dn(a->x);
    return inner(be)->rope(inner(be), &h, err);
}
static openmed_status fake_rel_bias(om_backend *be, float *bias, const float *c2p, const float *p2c, int n_rel,
                                    const int32_t *rel, int max_len, const int32_t *cu, int n_seqs, int n_heads,
                                    float scale, openmed_error *err) {
    return inner(be)->deberta_rel_bias(inner(be), dn(bias), dn(c2p), dn(p2c), n_rel, rel, max_len, cu, n_seqs, n_heads,
                                       scale, err);
}
static openmed_status fake_moe_route(om_backend *be, int32_t *ids, float *w, const float *logits, int64_t M, int E,
                                     int k, openmed_error *err) {
    return inner(be)->moe_route(inner(be), dn(ids), dn(w), dn(logits), M, E, k, err);
}
static openmed_status fake_moe_experts(om_backend *be, float *y, const float *x, int64_t M, const int32_t *ids,
                                       const float *w, int k, const om_moe_experts *ex, openmed_error *err) {
    om_moe_experts h = *ex;
    h.gate_up = host_view(&ex->gate_up), h.down = host_view(&ex->down);
    h.gate_up_bias = dn(ex->gate_up_bias), h.down_bias = dn(ex->down_bias);
    return inner(be)->moe_experts(inner(be), dn(y), dn(x), M, dn(ids), dn(w), k, &h, err);
}

openmed_status om_fake_device_open(om_backend **out, openmed_error *err) {
    om_backend *cpu = NULL;
    openmed_status s = om_backend_create("cpu", 2, &cpu, err);
    if (s != OPENMED_OK) return s;
    om_backend *be = calloc(1, sizeof *be);
    be->name = "fake-device";
    be->ctx = cpu;
    be->destroy = fake_destroy;
    be->alloc = fake_alloc;
    be->free = fake_free;
    be->upload = fake_upload;
    be->download = fake_download;
    be->synchronize = fake_sync;
    be->prepare_weight = fake_prepare_weight;
    be->release_weight = fake_release_weight;
    be->prepare_vector = fake_prepare_vector;
    be->release_vector = fake_release_vector;
    be->linear = fake_linear;
    be->layernorm = fake_layernorm;
    be->rmsnorm = fake_rmsnorm;
    be->embed = fake_embed;
    be->add = fake_add;
    be->scale = fake_scale;
    be->activate = fake_activate;
    be->glu = fake_glu;
    be->attention = fake_attention;
    be->rope = fake_rope;
    be->deberta_rel_bias = cpu->deberta_rel_bias ? fake_rel_bias : NULL;
    be->moe_route = cpu->moe_route ? fake_moe_route : NULL;
    be->moe_experts = cpu->moe_experts ? fake_moe_experts : NULL;
    *out = be;
    return OPENMED_OK;
}

int om_fake_device_seat(om_backend **gpu, int threads, int *self_check) {
    openmed_error err;
    const char *self = getenv("OM_TEST_CUDA_AS_CPU");
    *self_check = self && strcmp(self, "1") == 0;
    openmed_status st = *self_check ? om_fake_device_open(gpu, &err) : om_backend_create("cuda", threads, gpu, &err);
    if (st == OPENMED_OK) return 0;
    if (st == OPENMED_ERR_DEVICE && strstr(err.message, "no CUDA device")) {
        printf("skipped: %s\n", err.message);
        return 77;
    }
    fprintf(stderr, "cannot open the cuda backend: %s\n", err.message);
    return 1;
}
