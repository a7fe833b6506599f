/* model.h: the loaded model (immutable config, weights, tokenizer, backend) and the engine's
 * internal entry points: config.json parsing and the forward pass the pipeline calls. */
#ifndef OM_MODELS_MODEL_H
#define OM_MODELS_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "io/safetensors.h"
#include "models/arch.h"
#include "openmed.h"
#include "tokenizer/tokenizer.h"

#define OM_CONFIG_MAX_BYTES (1u << 20) /* config.json larger than 1 MiB is refused */
#define OM_CONFIG_MAX_DEPTH 64

/* The public openmed_model. Everything here is read-only after openmed_model_load. */
struct openmed_model {
    char path[OPENMED_PATH_MAX];   /* the model folder */
    char device[64];               /* resolved device name */
    om_model_config cfg;
    struct cJSON *config_json;     /* owns cfg.json */
    om_safetensors *st;
    const om_arch *arch;
    void *weights;                 /* the family's immutable state */
    om_backend *be;
    om_tokenizer *tok;             /* NULL when loaded without a tokenizer (tests, benchmarks) */
    int max_length;                /* tokens per window */
};

/* Parse `path` (a config.json) into cfg: model_type normalized (or derived from architectures[0]),
 * the common sizes under each family's key names (hidden_size/dim, num_hidden_layers/n_layers, ...),
 * hidden_act, layer_norm_eps, id2label/num_labels (dense integer keys, consistent count).
 * Fails naming the file and field. *json receives the parsed document (cfg->json points into it);
 * release both with om_model_config_free. Missing family-specific sizes are left 0 for the family
 * to require. */
openmed_status om_model_config_parse(const char *path, om_model_config *cfg, struct cJSON **json,
                                     openmed_error *err);
void om_model_config_free(om_model_config *cfg, struct cJSON *json);

/* Read an integer config key: absent (or null) gives `fallback` (or an error naming the key and
 * file when required); strings, fractions, booleans and values outside [min, max] are errors. */
openmed_status om_config_int(const om_model_config *cfg, const char *key, int required, long long min,
                             long long max, int fallback, int *out, openmed_error *err);
/* The same for a floating-point key. */
openmed_status om_config_float(const om_model_config *cfg, const char *key, int required, double fallback,
                               float *out, openmed_error *err);

/* Load a model folder on an existing backend (which the model does not own when own_backend is 0).
 * load_tokenizer: also load the folder's tokenizer. */
openmed_status om_model_load_dir(const char *dir, om_backend *be, int own_backend, int load_tokenizer,
                                 openmed_model **out, openmed_error *err);

/* One forward pass over packed sequences in the caller's workspace `ws` (reserved, or grown, here
 * to what the model's family declares for this batch; NULL: a workspace for this call only).
 * logits: host [n_tokens, num_labels]; hidden: host or NULL, (num_layers + 1) blocks of
 * [n_tokens, hidden_size] (see arch.h). Token ids are checked against the vocabulary and sequence
 * lengths against the position table. Thread-safe on a shared model when each thread brings its
 * own workspace (the cpu backend; cuda's context is shared by its callers). */
openmed_status om_model_forward(const openmed_model *model, om_workspace *ws, const om_batch *batch, float *logits,
                                float *hidden, openmed_error *err);
/* The workspace om_model_forward needs for `batch` (zero for an empty batch). */
om_ws_size om_model_workspace_size(const openmed_model *model, const om_batch *batch);

#endif
