/* serve_request.h: the request bodies of `openmed serve`, parsed and checked before any model is
 * touched. Strict JSON (RFC 8259: one value and nothing after it, no duplicate keys, no NaN or
 * leading zeros, well-formed UTF-8 with no lone surrogates, no NUL anywhere, depth <= 64), then
 * each route's fields by name, as OpenMed's request schemas (unknown fields are refused). No model,
 * no network, no global state: a fuzz target can call om_serve_request_parse on any bytes. */
#ifndef OM_SERVE_REQUEST_H
#define OM_SERVE_REQUEST_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "openmed.h"

typedef enum om_request_kind {
    OM_REQ_ANALYZE = 0,       /* POST /analyze {text, ...} */
    OM_REQ_ANALYZE_BATCH,     /* POST /analyze/batch(/stream) {texts: [...], ...} */
    OM_REQ_PII_EXTRACT,       /* POST /pii/extract {text, ...} */
    OM_REQ_PII_EXTRACT_BATCH, /* POST /pii/extract/batch {texts, ...} */
    OM_REQ_PII_DEIDENTIFY,    /* POST /pii/deidentify {text, ...} */
    OM_REQ_PII_DEIDENTIFY_BATCH,
    OM_REQ_UNLOAD,            /* POST /models/unload {model_name?, all?} */
    OM_REQ_KIND_COUNT
} om_request_kind;

typedef struct om_request_limits {
    size_t max_text_chars; /* code points per text (OpenMed's default 1,000,000) */
    size_t max_texts;      /* texts in one batch request */
} om_request_limits;

/* A checked request. Strings point into `root` (cJSON, owned) and hold no NUL. */
typedef struct om_serve_request {
    om_request_kind kind;
    cJSON *root;
    const char **texts;         /* [n_texts]; one for the single-text routes */
    size_t *text_lens;          /* bytes */
    size_t n_texts;
    const char *model_name;     /* NULL = the route's default model */
    const char *lang;           /* "en" unless given (PII routes) */
    /* analyze */
    openmed_aggregation aggregation; /* default simple; null = none */
    float analyze_threshold;         /* default 0 (keep all) */
    int group_entities;              /* default 0 (OpenMed's group_entities) */
    int sentence_detection;          /* default 1 (0: the text is one chunk, as analyze_text's flag) */
    /* PII */
    openmed_deid_options deid;       /* every option but the key and the policy, which the server sets */
    int threshold_given;             /* confidence_threshold was in the body */
    int policy;                      /* index in om_serve_policy_names, -1 = none */
    const char **lists;              /* deny_list then allow_list entries (deid points into it) */
    char seed[32];                   /* date_shift_seed given as a whole number */
    /* unload */
    int unload_all;
} om_serve_request;

/* Why a body was refused: the HTTP status (400 for malformed bodies, 422 for bad fields), a stable
 * code, a message and the field at fault ("body.text"); never any byte of the input beyond a field
 * name of at most 32 lower-case identifier characters. */
typedef struct om_request_error {
    int status;
    const char *code;    /* invalid_json, invalid_encoding, duplicate_key, validation_error */
    const char *type;    /* the validation leaf: text_required, text_type, empty_text, max_chars, ... */
    char message[256];
    char field[64];      /* "" when the body as a whole is at fault */
    size_t offset;       /* byte offset of a JSON or encoding error */
} om_request_error;

/* Parse `len` bytes (not NUL-terminated) as the body of a `kind` request. 0 on success (free *out
 * with om_serve_request_free), -1 with *err filled otherwise. limits NULL = the defaults. */
int om_serve_request_parse(om_request_kind kind, const char *body, size_t len, const om_request_limits *limits,
                           om_serve_request *out, om_request_error *err);
void om_serve_request_free(om_serve_request *req);

/* The policies a request may name (the bundled ones; a client never names a file of the server). */
#define OM_SERVE_N_POLICIES 2
extern const char *const om_serve_policy_names[OM_SERVE_N_POLICIES];

/* Only the strict JSON layer: a cJSON tree of `len` bytes, or NULL with *err (status 400). */
cJSON *om_json_parse_strict(const char *body, size_t len, om_request_error *err);

/* OpenMed's default PII model for a language code ("de" -> its German model), NULL when OpenMed
 * has none (an explicit model_name is then required); "en" gives NULL too (the server's own
 * default PII model applies). */
const char *om_serve_default_pii_model(const char *lang);

#endif
