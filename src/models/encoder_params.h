/* encoder_params.h: config values and named safetensors tensors turned into backend weights and vectors for the
 * encoder families (BERT, DeBERTa, ModernBERT, Longformer), checked against expected shapes and
 * released together.
 *
 * A family keeps one om_params inside its immutable weights struct; every om_weight it fills
 * and every vector it prepares is recorded there, so freeing the family is om_params_free().
 * Tensor names are printf formats ("deberta.encoder.layer.%d.attention.self.query_proj.weight").
 */
#ifndef OM_MODELS_ENCODER_PARAMS_H
#define OM_MODELS_ENCODER_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "openmed.h"

struct cJSON;
struct om_safetensors;

typedef struct om_params {
    om_backend *be;
    const struct om_safetensors *st;
    om_weight **weights; /* prepared weights (point into the family's struct) */
    size_t n_weights, cap_weights;
    const float **vectors; /* prepared vectors */
    size_t n_vectors, cap_vectors;
    void **host; /* host buffers we own (converted vectors, computed weights) */
    size_t n_host, cap_host;
} om_params;

void om_params_init(om_params *p, const struct om_safetensors *st, om_backend *be);
/* Release every weight and vector prepared through p and every host buffer it owns. */
void om_params_free(om_params *p);

/* 1 if the checkpoint holds a tensor with this name. */
int om_params_has(const om_params *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A 2-D tensor [rows, cols] as a backend weight, used in place from the mapping where the backend
 * allows. rows or cols < 0: any size (read the actual one from w). Missing tensors, wrong ranks,
 * shapes or dtypes fail with OPENMED_ERR_FORMAT naming the tensor and its file. */
openmed_status om_params_weight(om_params *p, om_weight *w, int64_t rows, int64_t cols, openmed_error *err,
                                const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* The same for a linear map inside the encoder layers (hint OM_WEIGHT_LAYER: the backend may keep
 * it at a reduced compute precision, int8 or bf16). Never for embeddings, heads or sliced tables. */
openmed_status om_params_layer_weight(om_params *p, om_weight *w, int64_t rows, int64_t cols, openmed_error *err,
                                      const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* A 1-D tensor of n floats (f32, f16 or bf16 on disk) as backend memory in float32. */
openmed_status om_params_vector(om_params *p, const float **out, int64_t n, openmed_error *err, const char *fmt,
                                ...) __attribute__((format(printf, 5, 6)));

/* Same, or *out = NULL when the checkpoint has no such tensor (optional biases). */
openmed_status om_params_vector_opt(om_params *p, const float **out, int64_t n, openmed_error *err,
                                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A weight computed at load time: `host` ([rows, cols] float32, malloc'd) becomes owned by p
 * and stays alive as long as p (a backend may use it in place), or is freed at once when the
 * backend keeps the weight in a form of its own (w->data NULL). hints: OM_WEIGHT_* (backend.h). */
openmed_status om_params_host_weight(om_params *p, om_weight *w, float *host, int64_t rows, int64_t cols,
                                     unsigned hints, openmed_error *err);

/* A 2-D tensor [rows, cols] copied to a malloc'd float32 host array that the caller frees
 * (for tables a family transforms at load time). */
openmed_status om_params_read_f32(om_params *p, float **out, int64_t rows, int64_t cols, openmed_error *err,
                                  const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Same for a 1-D tensor [n]. */
openmed_status om_params_read_vector_f32(om_params *p, float **out, int64_t n, openmed_error *err, const char *fmt,
                                         ...) __attribute__((format(printf, 5, 6)));

/* A vector computed at load time: `host` (n floats, malloc'd) becomes owned by p, even on failure,
 * and *out is its backend copy (or host itself where the backend uses it in place). */
openmed_status om_params_host_vector(om_params *p, const float **out, float *host, int64_t n, openmed_error *err);

/* config.json values with defaults (absent or null keys give the default; a value of the wrong
 * JSON type fails with OPENMED_ERR_CONFIG naming the key and `path`). */
openmed_status om_encoder_json_int(const struct cJSON *json, const char *path, const char *key, int def, int *out,
                           openmed_error *err);
openmed_status om_encoder_json_float(const struct cJSON *json, const char *path, const char *key, float def, float *out,
                             openmed_error *err);
openmed_status om_encoder_json_bool(const struct cJSON *json, const char *path, const char *key, int def, int *out,
                            openmed_error *err);
/* A string value, or def; the pointer lives as long as json. */
openmed_status om_encoder_json_string(const struct cJSON *json, const char *path, const char *key, const char *def,
                              const char **out, openmed_error *err);

/* A backend buffer of n floats for work at load time (forwards use their workspace), or
 * OPENMED_ERR_NO_MEMORY naming `what` and the backend. Free with be->free. */
openmed_status om_encoder_buffer(om_backend *be, float **out, size_t n, const char *what, openmed_error *err);

#endif
