/* serve_openapi.c: what `openmed serve` answers on GET /openapi.json (OpenAPI 3.0: every route,
 * request schema and error) and GET /docs (a small page over the same description, no scripts
 * from elsewhere). test_serve checks that the two lists of routes agree with the router. */
#include "serve.h"

#define STR(x) "{\"type\": \"string\"" x "}"
#define NUM01 "{\"type\": \"number\", \"minimum\": 0, \"maximum\": 1}"
#define BOOL "{\"type\": \"boolean\"}"
#define MODEL_FIELDS                                                                                                   \
    "\"model_name\": {\"type\": \"string\", \"description\": \"registry name or repo id; default: the server's "     \
    "model for the route\"}, \"keep_alive\": {\"description\": \"accepted for OpenMed compatibility; residency "     \
    "follows --max-models\"}"
#define ANALYZE_FIELDS                                                                                                 \
    MODEL_FIELDS ", \"confidence_threshold\": {\"type\": \"number\", \"minimum\": 0, \"maximum\": 1, \"nullable\": " \
                 "true, \"default\": 0}, \"aggregation_strategy\": {\"type\": \"string\", \"enum\": [\"simple\", "  \
                 "\"first\", \"average\", \"max\"], \"nullable\": true, \"default\": \"simple\"}, "                  \
                 "\"group_entities\": {\"type\": \"boolean\", \"default\": false}, \"sentence_detection\": " BOOL      \
                 ", \"sentence_language\": " STR("") ", \"sentence_clean\": " BOOL ", \"use_fast_tokenizer\": " BOOL
#define PII_FIELDS                                                                                                     \
    MODEL_FIELDS ", \"confidence_threshold\": " NUM01 ", \"lang\": {\"type\": \"string\", \"default\": \"en\", "     \
                 "\"description\": \"one of OpenMed's 41 PII language codes; without model_name it picks "           \
                 "OpenMed's default PII model for the language\"}, \"use_smart_merging\": " BOOL                     \
                 ", \"normalize_accents\": {\"type\": \"boolean\", \"nullable\": true}, \"use_safety_sweep\": {"     \
                 "\"type\": \"boolean\", \"default\": true}"
#define SHIFT_NOTE "; needs method shift_dates or a policy that shifts dates"
#define LIST_FIELD(what)                                                                                               \
    "{\"type\": \"array\", \"maxItems\": 4096, \"items\": {\"type\": \"string\", \"minLength\": 1, \"maxLength\": "  \
    "256}, \"description\": \"" what "\"}"
#define DEID_FIELDS                                                                                                    \
    PII_FIELDS ", \"method\": {\"type\": \"string\", \"enum\": [\"mask\", \"remove\", \"replace\", \"hash\", "      \
               "\"shift_dates\", \"format_preserve\"], \"default\": \"mask\"}, \"keep_year\": {\"type\": "           \
               "\"boolean\", \"default\": false, \"description\": \"replace, shift_dates and format_preserve keep "   \
               "each date's year\"}, \"shift_dates\": {\"type\": \"boolean\", \"nullable\": true, \"description\": " \
               "\"true means method shift_dates\"}, \"date_shift_days\": {\"type\": \"integer\", \"nullable\": "     \
               "true, \"minimum\": -36500, \"maximum\": 36500, \"not\": {\"enum\": [0]}, \"description\": \"days "   \
               "to add to every date" SHIFT_NOTE "; one of date_shift_days, date_shift_seed, patient_key\"}, "       \
               "\"date_shift_seed\": {\"oneOf\": [{\"type\": \"string\", \"minLength\": 1, \"maxLength\": 256}, {"    \
               "\"type\": \"integer\"}], \"nullable\": true, \"description\": \"a seed for the shift (OpenMed's "     \
               "derivation)" SHIFT_NOTE "\"}, \"patient_key\": {\"type\": \"string\", \"nullable\": true, "            \
               "\"minLength\": 1, \"maxLength\": 256, \"description\": \"the patient's identifier: the shift is "    \
               "derived from it and the server's key, the same for every document of the patient" SHIFT_NOTE       \
               "; 422 when the server has no key\"}, \"date_shift_max_days\": {\"type\": \"integer\", \"nullable\": " \
               "true, \"minimum\": 1, \"maximum\": 36500, \"description\": \"bound of derived shifts (default 365)"  \
               SHIFT_NOTE "\"}, \"keep_mapping\": {\"type\": \"boolean\", \"default\": false, \"description\": "     \
               "\"add original_text and mapping {placeholder: original}\"}, \"policy\": {\"type\": \"string\", "     \
               "\"nullable\": true, \"enum\": [\"hipaa_safe_harbor\", \"strict\", null], \"description\": \"a "      \
               "bundled policy (never a file); without confidence_threshold the policy's threshold applies\"}, "     \
               "\"deny_list\": " LIST_FIELD("terms always redacted where they occur as whole words (ASCII case "     \
                                            "ignored)") ", \"allow_list\": " LIST_FIELD("values never redacted")      \
               ", \"protect_clinical_terms\": {\"type\": \"boolean\", \"default\": true, \"description\": \"disease " \
               "and drug terms are never names or places\"}"
#define TEXT "\"text\": {\"type\": \"string\", \"minLength\": 1, \"description\": \"UTF-8, no NUL\"}"
#define TEXTS "\"texts\": {\"type\": \"array\", \"minItems\": 1, \"items\": {\"type\": \"string\", \"minLength\": 1}}"
#define OBJ(req, fields) "{\"type\": \"object\", \"additionalProperties\": false, \"required\": [" req "], \"properties\": {" fields "}}"

#define ERR(code, what) "\"" code "\": {\"description\": \"" what "\", \"content\": {\"application/json\": {\"schema\": {\"$ref\": \"#/components/schemas/Error\"}}}}"
#define ERRORS_COMMON ERR("401", "missing or wrong API key (when keys are set)") ", " ERR("503", "connection limit, shutting down or model capacity (Retry-After)")
#define ERRORS_BODY                                                                                                    \
    ERRORS_COMMON ", " ERR("400", "malformed JSON, invalid UTF-8, NUL, duplicate keys, trailing data") ", " ERR(     \
        "413", "body over --max-body-bytes") ", " ERR("422", "a field is missing, of the wrong type or out of range")
#define ERRORS_MODEL                                                                                                   \
    ERRORS_BODY ", " ERR("404", "model_name names no model") ", " ERR("429", "the batch queue is full (Retry-After)") \
        ", " ERR("500", "inference failed") ", " ERR("504", "the request timed out")
#define OK_JSON(what) "\"200\": {\"description\": \"" what "\", \"content\": {\"application/json\": {\"schema\": {\"type\": \"object\", \"additionalProperties\": true}}}}"
#define GET_OP(summary, ok) "{\"get\": {\"summary\": \"" summary "\", \"responses\": {" ok "}}}"
#define POST_OP(summary, schema, ok, errors)                                                                           \
    "{\"post\": {\"summary\": \"" summary "\", \"requestBody\": {\"required\": true, \"content\": {\"application/json\": " \
    "{\"schema\": {\"$ref\": \"#/components/schemas/" schema "\"}}}}, \"responses\": {" ok ", " errors "}}}"

static const char openapi[] =
    "{\"openapi\": \"3.0.3\",\n"
    " \"info\": {\"title\": \"OpenMed-C REST API\", \"version\": \"" OPENMED_VERSION_STRING "\", \"description\": "
    "\"OpenMed's REST service (routes, fields and error envelope) served by OpenMed-C. Every 4xx/5xx answer is "
    "{error: {code, message, details, request_id}} with the X-Request-ID header. With --api-key, every route but "
    "/health, /livez, /readyz, /openapi.json and /docs needs Authorization: Bearer KEY. De-identification keys "
    "(hash, replace, format_preserve, patient_key) are the server's (--secret-file): a request never sends one.\"},\n"
    " \"components\": {\"securitySchemes\": {\"bearer\": {\"type\": \"http\", \"scheme\": \"bearer\"}}, \"schemas\": {\n"
    "  \"Error\": {\"type\": \"object\", \"properties\": {\"error\": {\"type\": \"object\", \"required\": [\"code\", "
    "\"message\", \"details\"], \"properties\": {\"code\": {\"type\": \"string\"}, \"message\": {\"type\": \"string\"}, "
    "\"details\": {\"nullable\": true}, \"request_id\": {\"type\": \"string\"}}}}},\n"
    "  \"AnalyzeRequest\": " OBJ("\"text\"", TEXT ", " ANALYZE_FIELDS) ",\n"
    "  \"AnalyzeBatchRequest\": " OBJ("\"texts\"", TEXTS ", " ANALYZE_FIELDS) ",\n"
    "  \"PIIExtractRequest\": " OBJ("\"text\"", TEXT ", " PII_FIELDS) ",\n"
    "  \"PIIExtractBatchRequest\": " OBJ("\"texts\"", TEXTS ", " PII_FIELDS) ",\n"
    "  \"PIIDeidentifyRequest\": " OBJ("\"text\"", TEXT ", " DEID_FIELDS) ",\n"
    "  \"PIIDeidentifyBatchRequest\": " OBJ("\"texts\"", TEXTS ", " DEID_FIELDS) ",\n"
    "  \"ModelUnloadRequest\": " OBJ("", MODEL_FIELDS ", \"all\": {\"type\": \"boolean\", \"default\": false}") "}},\n"
    " \"security\": [{\"bearer\": []}],\n"
    " \"paths\": {\n"
    "  \"/health\": " GET_OP("status, service, version, ready", OK_JSON("the service runs")) ",\n"
    "  \"/livez\": " GET_OP("liveness", OK_JSON("the process answers")) ",\n"
    "  \"/readyz\": " GET_OP("readiness: 503 not_ready until --preload models are loaded and while shutting down",
                             OK_JSON("ready") ", " ERR("503", "not ready")) ",\n"
    "  \"/models\": " GET_OP("default, local and loaded models and the registry (?family=PII&language=de)",
                             OK_JSON("models")) ",\n"
    "  \"/models/loaded\": " GET_OP("models held now, their devices and active requests", OK_JSON("loaded models")) ",\n"
    "  \"/models/unload\": " POST_OP("unload one idle model or all idle ones", "ModelUnloadRequest",
                                     OK_JSON("unloaded, active (left loaded) and not_loaded names"), ERRORS_BODY) ",\n"
    "  \"/analyze\": " POST_OP("entities in one text (OpenMed's AnalyzeResult)", "AnalyzeRequest",
                               OK_JSON("AnalyzeResult: text, entities, model_name, timestamp, processing_time, metadata"),
                               ERRORS_MODEL) ",\n"
    "  \"/analyze/batch\": " POST_OP("entities in many texts: {model_name, count, results: [AnalyzeResult]}",
                                     "AnalyzeBatchRequest", OK_JSON("results in request order"), ERRORS_MODEL) ",\n"
    "  \"/analyze/batch/stream\": {\"post\": {\"summary\": \"entities in many texts as NDJSON, one line "
    "{index, result} or {index, error} per text as it finishes\", \"requestBody\": {\"required\": true, \"content\": "
    "{\"application/json\": {\"schema\": {\"$ref\": \"#/components/schemas/AnalyzeBatchRequest\"}}}}, \"responses\": "
    "{\"200\": {\"description\": \"a stream of lines\", \"content\": {\"application/x-ndjson\": {\"schema\": {\"type\": "
    "\"string\"}}}}, " ERRORS_MODEL "}}},\n"
    "  \"/pii/extract\": " POST_OP("identifiers in one text", "PIIExtractRequest",
                                   OK_JSON("text, model, entities, num_entities"), ERRORS_MODEL) ",\n"
    "  \"/pii/extract/batch\": " POST_OP("identifiers in many texts: {model_name, count, results}",
                                         "PIIExtractBatchRequest", OK_JSON("results in request order"), ERRORS_MODEL) ",\n"
    "  \"/pii/deidentify\": " POST_OP("one text de-identified", "PIIDeidentifyRequest",
                                      OK_JSON("OpenMed's DeidentificationResult.to_dict()"), ERRORS_MODEL) ",\n"
    "  \"/pii/deidentify/batch\": " POST_OP("many texts de-identified: {model_name, count, results}",
                                            "PIIDeidentifyBatchRequest", OK_JSON("results in request order"),
                                            ERRORS_MODEL) ",\n"
    "  \"/metrics\": {\"get\": {\"summary\": \"Prometheus text: requests, latency, batch sizes, queue depth\", "
    "\"responses\": {\"200\": {\"description\": \"exposition format 0.0.4\", \"content\": {\"text/plain\": {\"schema\": "
    "{\"type\": \"string\"}}}}}}},\n"
    "  \"/openapi.json\": " GET_OP("this document", OK_JSON("OpenAPI 3.0")) ",\n"
    "  \"/docs\": {\"get\": {\"summary\": \"a page describing the routes\", \"responses\": {\"200\": {\"description\": "
    "\"HTML\", \"content\": {\"text/html\": {\"schema\": {\"type\": \"string\"}}}}}}}\n"
    " }}\n";

static const char docs[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>OpenMed-C REST API</title>\n"
    "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}code{background:#f3f3f3;"
    "padding:0 .2em}td{padding:.2em .6em;vertical-align:top}</style></head><body>\n"
    "<h1>OpenMed-C REST API</h1>\n"
    "<p>OpenMed's REST routes, fields and error envelope. The full description is <a href=\"/openapi.json\">"
    "/openapi.json</a>. Errors: <code>{\"error\": {\"code\", \"message\", \"details\", \"request_id\"}}</code> with an "
    "<code>X-Request-ID</code> header. With API keys, send <code>Authorization: Bearer KEY</code>.</p>\n"
    "<table>\n"
    "<tr><td><code>GET /health</code></td><td>status, service, version</td></tr>\n"
    "<tr><td><code>GET /livez</code></td><td>liveness</td></tr>\n"
    "<tr><td><code>GET /readyz</code></td><td>readiness (503 until preloaded, and while shutting down)</td></tr>\n"
    "<tr><td><code>GET /models</code></td><td>default, local and loaded models; the registry (<code>?family=PII&amp;"
    "language=de</code>)</td></tr>\n"
    "<tr><td><code>GET /models/loaded</code></td><td>models held now</td></tr>\n"
    "<tr><td><code>POST /models/unload</code></td><td><code>{model_name}</code> or <code>{all: true}</code></td></tr>\n"
    "<tr><td><code>POST /analyze</code></td><td><code>{text, model_name?, confidence_threshold?, "
    "aggregation_strategy?}</code> &rarr; AnalyzeResult</td></tr>\n"
    "<tr><td><code>POST /analyze/batch</code></td><td><code>{texts: [...], ...}</code> &rarr; <code>{model_name, count, "
    "results}</code></td></tr>\n"
    "<tr><td><code>POST /analyze/batch/stream</code></td><td>the same as NDJSON, one line per text as it "
    "finishes</td></tr>\n"
    "<tr><td><code>POST /pii/extract</code></td><td><code>{text, model_name?, lang?, confidence_threshold?, "
    "use_safety_sweep?}</code></td></tr>\n"
    "<tr><td><code>POST /pii/deidentify</code></td><td><code>{text, method?, policy?, keep_year?, keep_mapping?, "
    "date_shift_days? | date_shift_seed? | patient_key?, date_shift_max_days?, deny_list?, allow_list?, "
    "protect_clinical_terms?, ...}</code> (the key is the server's)</td></tr>\n"
    "<tr><td><code>POST /pii/extract/batch</code>, <code>/pii/deidentify/batch</code></td><td><code>{texts: [...], "
    "...}</code></td></tr>\n"
    "<tr><td><code>GET /metrics</code></td><td>Prometheus text</td></tr>\n"
    "<tr><td><code>GET /openapi.json</code></td><td>OpenAPI 3.0</td></tr>\n"
    "</table>\n"
    "<p>Example: <code>curl -s localhost:8080/analyze -H 'Content-Type: application/json' -d '{\"text\": \"The "
    "patient has cystic fibrosis.\"}'</code></p>\n"
    "</body></html>\n";

const char *om_serve_openapi_json(void) { return openapi; }

const char *om_serve_docs_html(void) { return docs; }
