/* arch.h: the contract between the generic model loader and one architecture family.
 *
 * A family (bert.c, deberta.c, modernbert.c, longformer.c, privacy_filter.c) exports one
 * `const om_arch om_arch_<family>` and is found by om_arch_find() from config.json's model_type
 * (then architectures[0]). The loader (model.c) parses the common config fields into
 * om_model_config, opens the safetensors, and calls arch->load; the family reads its own extra
 * config keys from cfg->json and its own tensors. Weights are immutable after load: a family keeps
 * no per-request state. It declares the scratch one forward needs for a batch (workspace), and
 * forward works only in the workspace it is given (see workspace.h), so forwards on a shared model
 * run in parallel threads, each with its own workspace.
 */
#ifndef OM_MODELS_ARCH_H
#define OM_MODELS_ARCH_H

#include <stdint.h>

#include "backend/backend.h"
#include "models/workspace.h"
#include "openmed.h"

struct cJSON;
struct om_safetensors; /* src/io/safetensors.h */

#define OM_MAX_LABELS 1024

/* Fields every family shares, filled from config.json by om_model_config_parse (model.c). */
typedef struct om_model_config {
    char model_type[64];     /* normalized: "bert", "distilbert", "roberta", "xlm-roberta", "electra",
                                "camembert", "deberta-v2", "modernbert", "longformer", "openai_privacy_filter" */
    char architecture[128];  /* architectures[0] */
    int vocab_size;
    int hidden_size;
    int num_layers;
    int num_heads;
    int intermediate_size;
    int max_position_embeddings;
    int type_vocab_size;
    int pad_token_id;
    float layer_norm_eps;
    om_act hidden_act;
    int num_labels;
    char **id2label;         /* [num_labels], owned */
    const struct cJSON *json; /* the whole config.json, for family-specific keys; owned by the model */
    const char *path;        /* config.json path, for error messages */
} om_model_config;

/* Token batch for one forward pass: packed sequences, no padding (see backend.h). */
typedef struct om_batch {
    const int32_t *ids;        /* host, [T] */
    const int32_t *cu_seqlens; /* host, [n_seqs + 1], cu_seqlens[0] == 0 */
    int n_seqs;
    int64_t n_tokens;          /* == cu_seqlens[n_seqs] */
} om_batch;

typedef struct om_arch {
    const char *name; /* family name, e.g. "bert" */
    /* 1 if this family runs the normalized model_type. */
    int (*matches)(const char *model_type);
    /* Read family-specific config and tensors; *weights is the family's private immutable state. */
    openmed_status (*load)(const om_model_config *cfg, const struct om_safetensors *st, om_backend *be,
                           void **weights, openmed_error *err);
    /* The workspace one forward over `batch` needs (n_tokens > 0, n_seqs > 0): the family's
     * layout run over a counting om_ws_layout. */
    om_ws_size (*workspace)(const void *weights, const om_model_config *cfg, const om_batch *batch);
    /* logits: host, [n_tokens, num_labels]. hidden: host or NULL; when not NULL, receives
     * (num_layers + 1) blocks of [n_tokens, hidden_size]: the embedding output, then each layer's
     * output (what HF returns as hidden_states). ws: reserved with at least workspace(batch) on be;
     * every buffer of the pass is laid out in it (nothing else is allocated by the family). */
    openmed_status (*forward)(const void *weights, const om_model_config *cfg, om_backend *be,
                              const om_batch *batch, om_workspace *ws, float *logits, float *hidden,
                              openmed_error *err);
    void (*free)(void *weights, om_backend *be);
} om_arch;

/* The family that runs model_type, or NULL. */
const om_arch *om_arch_find(const char *model_type);

#endif
