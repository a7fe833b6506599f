/* encoder_params.c: config values and shape-checked tensors (as backend weights/vectors) for the encoder families. */
#include "models/encoder_params.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/error.h"
#include "core/half.h"
#include "io/safetensors.h"

void om_params_init(om_params *p, const om_safetensors *st, om_backend *be) {
    memset(p, 0, sizeof *p);
    p->st = st;
    p->be = be;
}

void om_params_free(om_params *p) {
    if (!p) return;
    for (size_t i = 0; i < p->n_weights; i++) p->be->release_weight(p->be, p->weights[i]);
    for (size_t i = 0; i < p->n_vectors; i++) p->be->release_vector(p->be, p->vectors[i]);
    for (size_t i = 0; i < p->n_host; i++) free(p->host[i]);
    free(p->weights);
    free(p->vectors);
    free(p->host);
    memset(p, 0, sizeof *p);
}

/* Append item to a growable pointer array; 0 on success. */
static int push(void ***items, size_t *n, size_t *cap, void *item) {
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        void **grown = realloc(*items, c * sizeof *grown);
        if (!grown) return -1;
        *items = grown;
        *cap = c;
    }
    (*items)[(*n)++] = item;
    return 0;
}

static const om_st_tensor *find_v(const om_params *p, char *name, size_t size, const char *fmt, va_list ap) {
    vsnprintf(name, size, fmt, ap);
    return om_safetensors_find(p->st, name);
}

int om_params_has(const om_params *p, const char *fmt, ...) {
    char name[512];
    va_list ap;
    va_start(ap, fmt);
    const om_st_tensor *t = find_v(p, name, sizeof name, fmt, ap);
    va_end(ap);
    return t != NULL;
}

static openmed_status to_dtype(const om_st_tensor *t, om_dtype *out, openmed_error *err) {
    switch (t->dtype) {
    case OM_ST_F32: *out = OM_F32; return OPENMED_OK;
    case OM_ST_F16: *out = OM_F16; return OPENMED_OK;
    case OM_ST_BF16: *out = OM_BF16; return OPENMED_OK;
    default:
        return om_fail(err, OPENMED_ERR_FORMAT, "%s: tensor %s has dtype %s; expected F32, F16 or BF16", t->file,
                       t->name, t->dtype_name);
    }
}

static openmed_status weight_v(om_params *p, om_weight *w, unsigned hints, int64_t rows, int64_t cols,
                               openmed_error *err, const char *fmt, va_list ap) {
    char name[512];
    const om_st_tensor *t = find_v(p, name, sizeof name, fmt, ap);
    if (!t) return om_fail(err, OPENMED_ERR_FORMAT, "model.safetensors: missing tensor %s", name);
    if (t->ndim != 2)
        return om_fail(err, OPENMED_ERR_FORMAT, "%s: tensor %s has %d dimensions; expected 2", t->file, name, t->ndim);
    if ((rows >= 0 && t->shape[0] != rows) || (cols >= 0 && t->shape[1] != cols)) {
        char want[2][24];
        snprintf(want[0], sizeof want[0], rows >= 0 ? "%lld" : "any", (long long)rows);
        snprintf(want[1], sizeof want[1], cols >= 0 ? "%lld" : "any", (long long)cols);
        return om_fail(err, OPENMED_ERR_FORMAT, "%s: tensor \"%s\" has shape [%lld, %lld]; config.json implies [%s, %s]",
                       t->file, name, (long long)t->shape[0], (long long)t->shape[1], want[0], want[1]);
    }
    memset(w, 0, sizeof *w);
    openmed_status s = to_dtype(t, &w->dtype, err);
    if (s) return s;
    w->data = t->data;
    w->rows = t->shape[0];
    w->cols = t->shape[1];
    w->hints = hints;
    if (push((void ***)&p->weights, &p->n_weights, &p->cap_weights, w))
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "loading tensor %s: out of memory", name);
    s = p->be->prepare_weight(p->be, w, 0, err);
    if (s) {
        p->n_weights--;
        return om_fail_prefix(err, s, "preparing tensor %s", name);
    }
    if (w->data != t->data) om_safetensors_drop_pages(t); /* the backend made its own copy */
    return OPENMED_OK;
}

openmed_status om_params_weight(om_params *p, om_weight *w, int64_t rows, int64_t cols, openmed_error *err,
                                const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    openmed_status s = weight_v(p, w, 0, rows, cols, err, fmt, ap);
    va_end(ap);
    return s;
}

openmed_status om_params_layer_weight(om_params *p, om_weight *w, int64_t rows, int64_t cols, openmed_error *err,
                                      const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    openmed_status s = weight_v(p, w, OM_WEIGHT_LAYER, rows, cols, err, fmt, ap);
    va_end(ap);
    return s;
}

/* n values of dtype dt (little-endian, possibly unaligned) as float32. */
static void to_f32(const void *data, om_dtype dt, float *dst, size_t n) {
    if (dt == OM_F32)
        memcpy(dst, data, n * sizeof(float));
    else
        om_half_run_to_f32(dst, data, dt == OM_BF16, n);
}

static openmed_status vector_v(om_params *p, const float **out, int64_t n, int optional, openmed_error *err,
                               const char *fmt, va_list ap) {
    char name[512];
    const om_st_tensor *t = find_v(p, name, sizeof name, fmt, ap);
    *out = NULL;
    if (!t) {
        if (optional) return OPENMED_OK;
        return om_fail(err, OPENMED_ERR_FORMAT, "model.safetensors: missing tensor %s", name);
    }
    if (t->ndim != 1 || t->shape[0] != n)
        return om_fail(err, OPENMED_ERR_FORMAT, "%s: tensor %s has %d dimensions (first %lld); expected [%lld]",
                       t->file, name, t->ndim, t->ndim ? (long long)t->shape[0] : 0LL, (long long)n);
    om_dtype dt = OM_F32;
    openmed_status s = to_dtype(t, &dt, err);
    if (s) return s;
    float *host = malloc((size_t)(n ? n : 1) * sizeof *host);
    if (!host || push(&p->host, &p->n_host, &p->cap_host, host)) {
        free(host);
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "loading tensor %s: out of memory", name);
    }
    to_f32(t->data, dt, host, (size_t)n);
    const float *v = p->be->prepare_vector(p->be, host, n, err);
    if (!v) return om_fail_prefix(err, err ? err->status : OPENMED_ERR_NO_MEMORY, "preparing tensor %s", name);
    if (push((void ***)&p->vectors, &p->n_vectors, &p->cap_vectors, (void *)v)) {
        p->be->release_vector(p->be, v);
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "loading tensor %s: out of memory", name);
    }
    *out = v;
    return OPENMED_OK;
}

openmed_status om_params_vector(om_params *p, const float **out, int64_t n, openmed_error *err, const char *fmt,
                                ...) {
    va_list ap;
    va_start(ap, fmt);
    openmed_status s = vector_v(p, out, n, 0, err, fmt, ap);
    va_end(ap);
    return s;
}

openmed_status om_params_vector_opt(om_params *p, const float **out, int64_t n, openmed_error *err,
                                    const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    openmed_status s = vector_v(p, out, n, 1, err, fmt, ap);
    va_end(ap);
    return s;
}

openmed_status om_params_host_weight(om_params *p, om_weight *w, float *host, int64_t rows, int64_t cols,
                                     unsigned hints, openmed_error *err) {
    if (push(&p->host, &p->n_host, &p->cap_host, host)) {
        free(host);
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "computed weight [%lld, %lld]: out of memory", (long long)rows,
                       (long long)cols);
    }
    memset(w, 0, sizeof *w);
    w->data = host;
    w->dtype = OM_F32;
    w->rows = rows;
    w->cols = cols;
    w->hints = hints;
    if (push((void ***)&p->weights, &p->n_weights, &p->cap_weights, w))
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "computed weight [%lld, %lld]: out of memory", (long long)rows,
                       (long long)cols);
    openmed_status s = p->be->prepare_weight(p->be, w, 0, err);
    if (s) {
        p->n_weights--;
        return s;
    }
    if (!w->data) { /* the backend keeps its own form and never reads host again */
        p->n_host--;
        free(host);
    }
    return OPENMED_OK;
}

openmed_status om_encoder_buffer(om_backend *be, float **out, size_t n, const char *what, openmed_error *err) {
    *out = be->alloc(be, (n ? n : 1) * sizeof(float));
    if (!*out)
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: cannot allocate %zu floats on %s", what, n, be->name);
    return OPENMED_OK;
}

/* A tensor of shape [rows] (ndim 1) or [rows, cols] (ndim 2) copied to a malloc'd float32 host array. */
static openmed_status read_f32_v(om_params *p, float **out, int ndim, int64_t rows, int64_t cols, openmed_error *err,
                                 const char *fmt, va_list ap) {
    char name[512], shape[64];
    const om_st_tensor *t = find_v(p, name, sizeof name, fmt, ap);
    *out = NULL;
    if (!t) return om_fail(err, OPENMED_ERR_FORMAT, "model.safetensors: missing tensor %s", name);
    if (ndim == 1) snprintf(shape, sizeof shape, "[%lld]", (long long)rows);
    else snprintf(shape, sizeof shape, "[%lld, %lld]", (long long)rows, (long long)cols);
    if (t->ndim != ndim || t->shape[0] != rows || (ndim == 2 && t->shape[1] != cols))
        return om_fail(err, OPENMED_ERR_FORMAT, "%s: tensor %s does not have shape %s", t->file, name, shape);
    om_dtype dt = OM_F32;
    openmed_status s = to_dtype(t, &dt, err);
    if (s) return s;
    size_t n = (size_t)rows * (size_t)(ndim == 2 ? cols : 1);
    float *host = malloc((n ? n : 1) * sizeof *host);
    if (!host) return om_fail(err, OPENMED_ERR_NO_MEMORY, "loading tensor %s: out of memory", name);
    to_f32(t->data, dt, host, n);
    om_safetensors_drop_pages(t);
    *out = host;
    return OPENMED_OK;
}

openmed_status om_params_read_f32(om_params *p, float **out, int64_t rows, int64_t cols, openmed_error *err,
                                  const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    openmed_status s = read_f32_v(p, out, 2, rows, cols, err, fmt, ap);
    va_end(ap);
    return s;
}

openmed_status om_params_read_vector_f32(om_params *p, float **out, int64_t n, openmed_error *err, const char *fmt,
                                         ...) {
    va_list ap;
    va_start(ap, fmt);
    openmed_status s = read_f32_v(p, out, 1, n, 0, err, fmt, ap);
    va_end(ap);
    return s;
}

openmed_status om_params_host_vector(om_params *p, const float **out, float *host, int64_t n, openmed_error *err) {
    *out = NULL;
    if (push(&p->host, &p->n_host, &p->cap_host, host)) {
        free(host);
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "computed vector [%lld]: out of memory", (long long)n);
    }
    const float *v = p->be->prepare_vector(p->be, host, n, err);
    if (!v) return om_fail_prefix(err, err ? err->status : OPENMED_ERR_NO_MEMORY, "computed vector [%lld]", (long long)n);
    if (push((void ***)&p->vectors, &p->n_vectors, &p->cap_vectors, (void *)v)) {
        p->be->release_vector(p->be, v);
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "computed vector [%lld]: out of memory", (long long)n);
    }
    *out = v;
    return OPENMED_OK;
}

static const cJSON *json_get(const cJSON *json, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(json, key);
    return (v && !cJSON_IsNull(v)) ? v : NULL;
}

openmed_status om_encoder_json_int(const cJSON *json, const char *path, const char *key, int def, int *out,
                           openmed_error *err) {
    const cJSON *v = json_get(json, key);
    *out = def;
    if (!v) return OPENMED_OK;
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= INT_MIN && v->valuedouble <= INT_MAX) ||
        v->valuedouble != floor(v->valuedouble))
        return om_fail(err, OPENMED_ERR_CONFIG, "%s: \"%s\" must be an integer", path, key);
    *out = (int)v->valuedouble;
    return OPENMED_OK;
}

openmed_status om_encoder_json_float(const cJSON *json, const char *path, const char *key, float def, float *out,
                             openmed_error *err) {
    const cJSON *v = json_get(json, key);
    *out = def;
    if (!v) return OPENMED_OK;
    if (!cJSON_IsNumber(v)) return om_fail(err, OPENMED_ERR_CONFIG, "%s: \"%s\" must be a number", path, key);
    *out = (float)v->valuedouble;
    return OPENMED_OK;
}

openmed_status om_encoder_json_bool(const cJSON *json, const char *path, const char *key, int def, int *out,
                            openmed_error *err) {
    const cJSON *v = json_get(json, key);
    *out = def;
    if (!v) return OPENMED_OK;
    if (!cJSON_IsBool(v)) return om_fail(err, OPENMED_ERR_CONFIG, "%s: \"%s\" must be true or false", path, key);
    *out = cJSON_IsTrue(v) ? 1 : 0;
    return OPENMED_OK;
}

openmed_status om_encoder_json_string(const cJSON *json, const char *path, const char *key, const char *def,
                              const char **out, openmed_error *err) {
    const cJSON *v = json_get(json, key);
    *out = def;
    if (!v) return OPENMED_OK;
    if (!cJSON_IsString(v)) return om_fail(err, OPENMED_ERR_CONFIG, "%s: \"%s\" must be a string", path, key);
    *out = v->valuestring;
    return OPENMED_OK;
}
