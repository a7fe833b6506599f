/* openmed.h: the public C API of OpenMed-C, the contract between the library and its users.
 *
 * OpenMed-C finds diseases, drugs and protected health information in clinical text with
 * Hugging Face token-classification models, on the CPU, CUDA or Metal, with no Python.
 *
 * Conventions
 *   - Errors travel one way. Every function that can fail returns an openmed_status and takes
 *     `openmed_error *err` last. The status is the same whether or not err is NULL; when err is
 *     not NULL it receives that status and a message naming the file, field, tensor or device at
 *     fault, with the context of each layer in front ("loading model M: tensor T: ..."). On
 *     success err is left untouched. The library never prints and never exits; diagnostics go
 *     through the log callback (openmed_log_set).
 *   - Objects come in create/free pairs. A loaded model is immutable and may be shared by many
 *     threads with no lock; a pipeline owns its working memory (laid out by the model's family for
 *     each batch, allocated on first use, grown to the largest batch and then reused) and is used
 *     by one thread at a time: give each thread its own.
 *   - CPU threads: a pipeline's ops and GEMMs run on the OpenMP team of the thread that calls it,
 *     with openmed_model_options.num_threads threads, else the config's, else OpenMP's default
 *     (OMP_NUM_THREADS, else every core). The OpenMP runtime is loaded with the first CPU model;
 *     when the program has set neither OMP_WAIT_POLICY nor GOMP_SPINCOUNT and runs no OpenMP of its
 *     own, OMP_WAIT_POLICY=passive is set in the environment first, so idle workers sleep instead
 *     of spinning on cores that other work needs.
 *   - Text is UTF-8. Offsets are [start, end) in Unicode code points of the caller's text.
 *   - Clinical text and entities are never written to the log.
 *
 * Usage (examples/analyze.c is a complete small program; tools/openmed/ the CLI):
 *
 *     openmed_config cfg;
 *     openmed_error err;
 *     openmed_config_init(&cfg);
 *     if (openmed_config_load_file(&cfg, NULL, &err) != OPENMED_OK) { puts(err.message); }
 *
 * This header compiles as plain C89-compatible C11 and as C++.
 */
#ifndef OPENMED_H
#define OPENMED_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* OPENMED_API marks every function of this API. libopenmed is built with hidden visibility, so these
 * are the only symbols the shared library exports (all named openmed_*); its internals stay private. */
#if defined(_WIN32) || defined(__CYGWIN__)
#define OPENMED_API
#elif defined(__GNUC__) || defined(__clang__)
#define OPENMED_API __attribute__((visibility("default")))
#else
#define OPENMED_API
#endif

#define OPENMED_VERSION_STRING "0.1.0"

/* ---------------------------------------------------------------- status, errors, logging */

/* Always add new codes at the end to keep the ABI stable. */
typedef enum openmed_status {
    OPENMED_OK = 0,
    OPENMED_ERR_INVALID_ARGUMENT = 1, /* a bad value from the caller (name, option, text) */
    OPENMED_ERR_IO = 2,               /* a file could not be opened, read or written */
    OPENMED_ERR_FORMAT = 3,           /* malformed or inconsistent file content (JSON, safetensors) */
    OPENMED_ERR_UNSUPPORTED = 4,      /* a valid but unsupported feature (architecture, component) */
    OPENMED_ERR_DEVICE = 5,           /* the requested device is unavailable or failed */
    OPENMED_ERR_NO_MEMORY = 6,
    OPENMED_ERR_NOT_FOUND = 7,        /* model, file or key not found */
    OPENMED_ERR_NETWORK = 8,
    OPENMED_ERR_AUTH = 9,             /* 401/403: gated or private repository, bad token */
    OPENMED_ERR_INTEGRITY = 10,       /* checksum or size mismatch */
    OPENMED_ERR_CONFIG = 11,          /* a bad configuration file or value */
    OPENMED_ERR_INTERNAL = 12,
    OPENMED_ERR_NUMERIC = 13,         /* a model produced non-finite values (NaN, infinity) */
    OPENMED_ERR_CANCELLED = 14        /* the caller's cancellation callback asked the work to stop */
} openmed_status;

#define OPENMED_ERROR_MESSAGE_MAX 1024

/* Caller-owned error record; functions fill it on failure and leave it untouched on success. */
typedef struct openmed_error {
    openmed_status status;
    char message[OPENMED_ERROR_MESSAGE_MAX];
} openmed_error;

/* A short static name for a status ("ok", "io", ...). */
OPENMED_API const char *openmed_status_name(openmed_status status);

typedef enum openmed_log_level {
    OPENMED_LOG_DEBUG = 0,
    OPENMED_LOG_INFO = 1,
    OPENMED_LOG_WARN = 2,
    OPENMED_LOG_ERROR = 3
} openmed_log_level;

typedef void (*openmed_log_callback)(openmed_log_level level, const char *message, void *user_data);

/* Install a log callback (NULL silences the library, the default). Messages never contain
 * clinical text or entities. */
OPENMED_API void openmed_log_set(openmed_log_callback callback, void *user_data);

OPENMED_API const char *openmed_version(void);

/* ---------------------------------------------------------------- configuration */

#define OPENMED_PATH_MAX 4096

typedef enum openmed_dtype {
    OPENMED_DTYPE_AUTO = 0, /* float32 on cpu and mps; see openmed_dtype_resolve */
    OPENMED_DTYPE_FLOAT32 = 1,
    OPENMED_DTYPE_FLOAT16 = 2,
    OPENMED_DTYPE_BFLOAT16 = 3, /* cpu: linear layers in bf16 with float32 accumulation where the CPU has
                                   AVX-512 (else float32, with a warning) */
    OPENMED_DTYPE_INT8 = 4      /* cpu only: linear layers of the encoder quantized dynamically (int8 weights
                                   per output channel, activations per token); embeddings, norms, attention
                                   and the classifier stay float32 */
} openmed_dtype;

/* The fields of OpenMed's OpenMedConfig that this backend uses, plus dtype and num_threads.
 * Strings are NUL-terminated; an empty string means "unset". */
typedef struct openmed_config {
    char backend[16];                 /* "hf" (the only backend here) */
    char device[64];                  /* "" or "auto" = resolve automatically */
    char cache_dir[OPENMED_PATH_MAX]; /* default ~/.cache/openmed */
    char hf_token[256];               /* default $HF_TOKEN */
    int local_only;                   /* or-ed with OPENMED_OFFLINE */
    char default_org[128];            /* default "OpenMed" */
    openmed_dtype dtype;              /* default auto */
    int num_threads;                  /* CPU threads, 0 = OpenMP's default (see openmed_model_options);
                                         default $OPENMED_NUM_THREADS */
    char config_path[OPENMED_PATH_MAX]; /* the file the values came from, "" if none */
    char deid_secret_file[OPENMED_PATH_MAX]; /* a file holding the de-identification secret key
                                                (key deid_secret_file; "~/" expanded), "" if none */
    /* OpenMed keys that were present in the file but are not used by this backend,
     * comma-separated, for `openmed doctor`. */
    char unused_keys[1024];
} openmed_config;

/* Defaults plus the environment (HF_TOKEN, OPENMED_OFFLINE, OPENMED_NUM_THREADS). */
OPENMED_API void openmed_config_init(openmed_config *cfg);

/* Resolve the config file path: explicit `path` > $OPENMED_CONFIG > $XDG_CONFIG_HOME/openmed/config.toml
 * (else ~/.config/openmed/config.toml). Writes it to `out`. */
OPENMED_API openmed_status openmed_config_path(const char *path, char *out, size_t out_size, openmed_error *err);

/* Read a flat `key = value` OpenMed config file over `cfg`. With path == NULL the default
 * location is used and a missing file is not an error; an explicit path must exist.
 * Unknown keys, bad values and malformed lines fail with file, line and key in the message. */
OPENMED_API openmed_status openmed_config_load_file(openmed_config *cfg, const char *path, openmed_error *err);

OPENMED_API openmed_status openmed_dtype_parse(const char *text, openmed_dtype *out, openmed_error *err);
OPENMED_API const char *openmed_dtype_name(openmed_dtype dtype);

/* ---------------------------------------------------------------- devices */

/* Where the device request came from. */
typedef enum openmed_device_source {
    OPENMED_DEVICE_SOURCE_ARGUMENT = 0,
    OPENMED_DEVICE_SOURCE_CONFIG = 1,
    OPENMED_DEVICE_SOURCE_ENV_TORCH = 2,  /* OPENMED_TORCH_DEVICE */
    OPENMED_DEVICE_SOURCE_ENV_LEGACY = 3, /* OPENMED_DEVICE */
    OPENMED_DEVICE_SOURCE_AUTO = 4
} openmed_device_source;

OPENMED_API const char *openmed_device_source_name(openmed_device_source source);

typedef struct openmed_backend_info {
    int compiled;      /* the backend is part of this build */
    int available;     /* it can run here now */
    char reason[256];  /* why not, when !available */
    char devices[256]; /* what it runs on, when available: for cuda each device's name, memory and
                          compute capability, and the driver's CUDA version; "" for cpu */
} openmed_backend_info;

typedef struct openmed_device_choice {
    char requested[64];           /* the normalized request, "auto" when none */
    openmed_device_source source;
    char resolved[64];            /* "cpu", "cuda", "cuda:1", "mps", ... */
    int mps_tuned;                /* resolved starts with "mps": the three PYTORCH_* values below are in effect */
    char mps_env[3][2][64];       /* {name, value} of PYTORCH_ENABLE_MPS_FALLBACK, _HIGH_, _LOW_WATERMARK_RATIO */
    openmed_dtype dtype;          /* the dtype policy applied: auto -> float32 on cpu/mps */
} openmed_device_choice;

/* Resolve the device like OpenMed's torch backend: explicit > cfg->device > OPENMED_TORCH_DEVICE >
 * OPENMED_DEVICE > probe mps, then cuda, then cpu. Does not validate explicit choices (like OpenMed);
 * when the result starts with "mps", sets the three PYTORCH_MPS_* variables where unset. */
OPENMED_API openmed_status openmed_device_resolve(const char *explicit_device, const openmed_config *cfg,
                                                  openmed_device_choice *out, openmed_error *err);

/* Availability of each backend here: name is "cpu", "cuda" or "mps". */
OPENMED_API void openmed_backend_query(const char *name, openmed_backend_info *out);

/* The kernels the cpu backend runs here (it loads oneDNN: OPENMED_ERR_DEVICE when that fails). Each
 * field is a NUL-terminated description; a dtype's field is "" where this CPU has no kernel for it. */
typedef struct openmed_cpu_kernels {
    char features[128]; /* instruction sets of the backend's own kernels ("avx2 avx512 ...", "baseline");
                           OPENMED_CPU_ISA caps them */
    char float32[64];   /* the encoder's linear layers in float32: oneDNN's matmul kernel with weights
                           packed at load ("brg:avx512_core (weights packed)"), or "sgemm (weights in place)" */
    char int8[64];      /* oneDNN's int8 matmul kernel ("brg:avx512_core_vnni", "gemm:jit") */
    char bfloat16[64];  /* oneDNN's bf16 matmul kernel ("brg:avx512_core_bf16"); "" without AVX-512 */
} openmed_cpu_kernels;

/* ONEDNN_MAX_CPU_ISA caps oneDNN's kernels, read once per process. */
OPENMED_API openmed_status openmed_cpu_kernels_query(openmed_cpu_kernels *out, openmed_error *err);

/* Check that a resolved device can actually run; on failure the message names the device, who
 * asked for it and why it is unavailable. */
OPENMED_API openmed_status openmed_device_check(const openmed_device_choice *choice, openmed_error *err);

/* ---------------------------------------------------------------- tokenizer */

/* A Hugging Face tokenizer (tokenizer.json, or a vocab.txt-only BERT folder). Immutable once
 * loaded; may be shared by threads. */
typedef struct openmed_tokenizer openmed_tokenizer;

/* The tokens of one text. ids[i], offsets[2*i] (start) and offsets[2*i+1] (end) are [start, end)
 * in Unicode code points of the caller's text (special tokens: [0, 0]), exactly as HF reports
 * them; special_tokens_mask[i] is 1 for special tokens. Token strings: openmed_encoding_token.
 * The remaining fields are private storage: reuse one encoding for many calls (it keeps its working
 * memory), release it with openmed_encoding_free, and never copy it by value. */
typedef struct openmed_encoding {
    size_t count;
    int32_t *ids;
    size_t *offsets;
    uint8_t *special_tokens_mask;
    size_t *token_starts_; /* private: where each token string starts in token_text_ */
    char *token_text_;     /* private: NUL-separated token strings */
    size_t capacity_, text_size_, text_capacity_;
    void *scratch_;        /* private: working memory reused by the next encode */
} openmed_encoding;

/* Load the tokenizer of a model folder (or a folder holding just the tokenizer files). */
OPENMED_API openmed_status openmed_tokenizer_load(const char *path, openmed_tokenizer **out, openmed_error *err);
OPENMED_API void openmed_tokenizer_free(openmed_tokenizer *tok);

OPENMED_API void openmed_encoding_init(openmed_encoding *enc);
OPENMED_API void openmed_encoding_free(openmed_encoding *enc);
/* The i-th token string, owned by the encoding. */
OPENMED_API const char *openmed_encoding_token(const openmed_encoding *enc, size_t i);

/* Encode `len` bytes of UTF-8 (invalid UTF-8 fails naming the byte offset); add_special_tokens
 * selects the single-sequence template ([CLS] ... [SEP], <s> ... </s>). No truncation. */
OPENMED_API openmed_status openmed_tokenizer_encode(const openmed_tokenizer *tok, const char *text, size_t len,
                                                    int add_special_tokens, openmed_encoding *out,
                                                    openmed_error *err);

/* HF tokenizer.decode(ids, skip_special_tokens); *out is malloc'd (release with free()). */
OPENMED_API openmed_status openmed_tokenizer_decode(const openmed_tokenizer *tok, const int32_t *ids, size_t count,
                                                    int skip_special_tokens, char **out, openmed_error *err);


/* ---------------------------------------------------------------- models and pipelines */

/* --- model loading (engine). A loaded model is immutable: config, weights (memory-mapped where
 * the stored dtype is the compute dtype), tokenizer and the backend of its device. Share it
 * read-only across threads; give each thread its own pipeline. */

typedef struct openmed_model openmed_model;

typedef struct openmed_model_options {
    const char *device;           /* explicit device ("cpu", "cuda", "cuda:1", "mps"); NULL or "" =
                                     resolve from config / environment / probes (openmed_device_resolve) */
    const openmed_config *config; /* NULL = openmed_config_init() defaults (environment included) */
    openmed_dtype dtype;          /* OPENMED_DTYPE_AUTO = the config's, then the device policy */
    int num_threads;              /* CPU threads of this model's ops and GEMMs (--threads in the CLI);
                                     0 = the config's num_threads; 0 there = OpenMP's default for the
                                     loading thread: $OMP_NUM_THREADS, else every core of the process's
                                     affinity mask. A count given here applies to this model's GEMMs
                                     only; the calling thread's OpenMP setting is restored after each. */
} openmed_model_options;

OPENMED_API void openmed_model_options_init(openmed_model_options *options);

/* Load a token-classification model from a Hugging Face folder (config.json, model.safetensors
 * or a sharded index, tokenizer files), or by name through the hub (a registry key or repo id,
 * resolved and cached like OpenMed). options NULL = defaults. Errors name the file, field, tensor
 * or device at fault: an unavailable device fails with OPENMED_ERR_DEVICE naming the device and
 * who asked for it. */
OPENMED_API openmed_status openmed_model_load(const char *name_or_path, const openmed_model_options *options,
                                              openmed_model **out, openmed_error *err);
OPENMED_API void openmed_model_free(openmed_model *model);

/* Facts about a loaded model; strings are owned by the model. */
/* normalized config.json model_type */
OPENMED_API const char *openmed_model_type(const openmed_model *model);
/* the folder it was loaded from */
OPENMED_API const char *openmed_model_path(const openmed_model *model);
/* the resolved device, "cpu", "cuda:0", ... */
OPENMED_API const char *openmed_model_device(const openmed_model *model);
OPENMED_API int openmed_model_num_labels(const openmed_model *model);
/* id2label[id], NULL if out of range */
OPENMED_API const char *openmed_model_label(const openmed_model *model, int id);
/* tokens per window (tokenizer model_max_length, capped by the position table) */
OPENMED_API int openmed_model_max_length(const openmed_model *model);
OPENMED_API const openmed_tokenizer *openmed_model_tokenizer(const openmed_model *model);

/* The folder of a model shipped with OpenMed-C: name "disease" (disease NER, the CLI's default) or
 * "pii" (PII detection). Searched in $OPENMED_MODELS_DIR/<folder>, <prefix>/share/openmed/models of
 * the tree libopenmed is installed in (found from the library's own file, <prefix>/lib), then the
 * source tree's models/ (<folder> is "disease-ner" or "pii"; a
 * candidate counts when it holds config.json). Fails with OPENMED_ERR_INVALID_ARGUMENT for another
 * name or a path that does not fit out_size, OPENMED_ERR_NOT_FOUND when no candidate exists. Never
 * touches the network. */
OPENMED_API openmed_status openmed_bundled_model_path(const char *name, char *out, size_t out_size, openmed_error *err);

/* --- token-classification pipeline.
 * Hugging Face TokenClassificationPipeline semantics (transformers 5.x), reproduced exactly: the
 * aggregation strategies, ignore_labels, the `word` field as HF decodes it, model_max_length
 * windows and stride. A pipeline holds per-request scratch memory and serves one thread at a time;
 * many pipelines may share one loaded model. Prototypes use `struct openmed_model`. */

typedef struct openmed_pipeline openmed_pipeline;

typedef enum openmed_aggregation {
    OPENMED_AGGREGATION_NONE = 0,    /* one entity per token ("entity", "index") */
    OPENMED_AGGREGATION_SIMPLE = 1,  /* tokens grouped by B-/I- tag */
    OPENMED_AGGREGATION_FIRST = 2,   /* words take their first token's label, then grouped */
    OPENMED_AGGREGATION_AVERAGE = 3, /* words take the argmax of their tokens' mean probabilities */
    OPENMED_AGGREGATION_MAX = 4      /* words take the label of their most confident token */
} openmed_aggregation;

/* "none", "simple", "first", "average", "max" (case-insensitive). */
OPENMED_API openmed_status openmed_aggregation_parse(const char *name, openmed_aggregation *out, openmed_error *err);
OPENMED_API const char *openmed_aggregation_name(openmed_aggregation aggregation);

/* How each token's label is chosen from its scores. */
typedef enum openmed_label_decoder {
    OPENMED_DECODER_ARGMAX = 0, /* Hugging Face: the most probable label */
    OPENMED_DECODER_VITERBI = 1 /* constrained BIOES Viterbi over the window (privacy-filter models) */
} openmed_label_decoder;

/* Which part of a text longer than model_max_length tokens is read. */
typedef enum openmed_long_text {
    OPENMED_LONG_TEXT_HF = 0,         /* opt-in, exactly transformers 5.x: the first window without stride
                                         (the rest of the text is not read); with stride, overlapping
                                         windows over the first model_max_length tokens */
    OPENMED_LONG_TEXT_ALL_WINDOWS = 1 /* the default: windows over the whole text (consecutive without
                                         stride, overlapping by the stride with one) */
} openmed_long_text;

typedef struct openmed_pipeline_options {
    openmed_aggregation aggregation; /* default OPENMED_AGGREGATION_SIMPLE (OpenMed's analyze_text) */
    int stride;                      /* overlap of windows in tokens; -1 (default) = no stride */
    int batch_size;                  /* windows per forward pass, packed without padding; default 8 */
    const char *const *ignore_labels;/* labels to drop; NULL (default) = {"O"}; copied at create */
    size_t n_ignore_labels;
    float threshold;                 /* drop entities scoring below this; default 0 */
    openmed_label_decoder decoder;   /* default argmax */
    openmed_long_text long_text;     /* default OPENMED_LONG_TEXT_ALL_WINDOWS (the whole text) */
} openmed_pipeline_options;

OPENMED_API void openmed_pipeline_options_init(openmed_pipeline_options *options);

/* One entity as Hugging Face returns it. Strings are owned by the result. */
typedef struct openmed_entity {
    const char *label;  /* "entity_group" ("DISEASE"), or "entity" ("B-DISEASE") for aggregation none */
    const char *word;   /* the tokens decoded as HF does ("##" joined, byte-level decoded, ...) */
    float score;
    int64_t start, end; /* [start, end) in Unicode code points of the text */
    int64_t index;      /* token index in the encoded text (aggregation none), else -1 */
} openmed_entity;

typedef struct openmed_result {
    openmed_entity *entities;
    size_t n_entities;
    openmed_aggregation aggregation;
    int64_t n_tokens;   /* tokens the model read for this text, special tokens included */
    int64_t n_windows;  /* forward windows for this text */
} openmed_result;

/* A pipeline over a loaded model (which must outlive it). options NULL = defaults. Fails with
 * OPENMED_ERR_INVALID_ARGUMENT for a stride that does not fit model_max_length or with aggregation
 * none (as HF), and a batch_size below 1. */
OPENMED_API openmed_status openmed_pipeline_create(const struct openmed_model *model, const openmed_pipeline_options *options,
                                                   openmed_pipeline **out, openmed_error *err);

/* Run the model over n_texts UTF-8 texts; *results receives an array of n_texts results (free it
 * with openmed_results_free). Windows of different texts share forward passes; each result is
 * identical to running its text alone. Invalid UTF-8 fails naming the text and byte. */
OPENMED_API openmed_status openmed_pipeline_run(openmed_pipeline *pipeline, const char *const *texts, size_t n_texts,
                                                openmed_result **results, openmed_error *err);

/* Cancellation. `should_stop` is called by the thread running openmed_pipeline_run on this
 * pipeline before each text is tokenized and before each forward pass (so between windows); when it
 * returns non-zero the run stops, frees what it made and fails with OPENMED_ERR_CANCELLED. It must
 * be cheap and must not use the pipeline. NULL removes it. The callback stays installed for later
 * runs until replaced. */
typedef int (*openmed_cancel_callback)(void *user_data);
OPENMED_API void openmed_pipeline_set_cancel(openmed_pipeline *pipeline, openmed_cancel_callback should_stop, void *user_data);

OPENMED_API void openmed_results_free(openmed_result *results, size_t n_results);

/* One forward pass of the model on token ids, without tokenizer or post-processing (benchmarks,
 * parity checks): n_windows windows of window_len ids each (ids[w * window_len + t]; every token
 * real, no padding), packed into one batch in the pipeline's working memory. logits receives
 * [n_windows * window_len, num_labels] float32. Ids outside the vocabulary and windows longer than
 * the position table fail with OPENMED_ERR_INVALID_ARGUMENT. */
OPENMED_API openmed_status openmed_pipeline_forward(openmed_pipeline *pipeline, const int32_t *ids, size_t n_windows,
                                                    size_t window_len, float *logits, openmed_error *err);

/* Code-point offsets to bytes: writes the byte offset of each code point of `len` bytes of UTF-8
 * to byte_of[0..n) and byte_of[n] = len, and n to *n_codepoints; byte_of must hold len + 1
 * entries. Entity [start, end) in code points is then bytes [byte_of[start], byte_of[end]).
 * Invalid UTF-8 fails with OPENMED_ERR_INVALID_ARGUMENT naming the byte offset. */
OPENMED_API openmed_status openmed_utf8_offsets(const char *text, size_t len, size_t *byte_of, int64_t *n_codepoints,
                                                openmed_error *err);
OPENMED_API void openmed_pipeline_free(openmed_pipeline *pipeline);
/* --- end of token-classification pipeline */

/* ---------------------------------------------------------------- analyze_text */

/* OpenMed's analyze_text over a pipeline: the way to find entities in clinical text, and what
 * `openmed analyze` does unless --raw. openmed_pipeline_run stays Hugging Face's pipeline, exactly.
 *
 * For each text:
 *   1. Sentences: a rule-based segmenter (every line break ends a sentence; . ! ? followed by a
 *      sentence start, with abbreviation, initial, decimal and list-number guards; CJK and Indic
 *      full stops).
 *   2. Chunks: sentences packed in order, at most max_chunk_sentences sentences and
 *      max_chunk_chars code points per chunk as OpenMed, and also at most one model window of
 *      tokens; a chunk never crosses a blank line. Each chunk is one pipeline input (the pipeline's
 *      aggregation, decoder, ignore_labels and threshold apply). A chunk longer than a window (one
 *      very long sentence) is read in windows that overlap by a quarter (the pipeline's stride when
 *      it has one), overlapping entities resolved as Hugging Face does, so nothing at a window
 *      edge is lost or found twice.
 *   3. Model spans are cut at line breaks and sentence boundaries and trimmed; spans that are
 *      placeholders ("___", "placeholder", punctuation only) are dropped.
 *   4. Medical tokens (medical_tokens): every word a span touches takes the label of the best such
 *      span, and neighbouring words with one label (at most one space apart, same sentence) are
 *      joined, so entities are whole words ("Apixaban", never "Ap").
 *   5. Entities scoring below confidence_threshold are dropped.
 *   6. Entity ends move forward to the end of their word (and starts back to its start), never into
 *      another entity; optionally group_entities joins same-label neighbours.
 * Guarantees: entities are sorted, do not overlap, never start or end inside a word of a spaced
 * script, and a text gives the same entities as each of its paragraphs (or chunks) analysed alone.
 * Offsets are code points of the caller's text (OpenMed's are of the text stripped of leading
 * white space). */

typedef struct openmed_analyze_options {
    float confidence_threshold; /* drop entities scoring below it, in [0, 1]; default 0 (keep all) */
    int sentence_detection;     /* 1 (default): sentences and chunks; 0: the whole text is one input */
    int medical_tokens;         /* 1 (default): remap spans onto whole medical tokens */
    int group_entities;         /* 1: join same-label neighbours (OpenMed's group_entities); default 0 */
    int max_chunk_sentences;    /* default 6 */
    int max_chunk_chars;        /* default 0 = max(480, 4 * the model's max length), as OpenMed */
} openmed_analyze_options;

OPENMED_API void openmed_analyze_options_init(openmed_analyze_options *options);

/* A [start, end) range of code points. */
typedef struct openmed_text_span {
    int64_t start, end;
} openmed_text_span;

/* One entity as OpenMed's EntityPrediction. Strings are owned by the analysis. */
typedef struct openmed_text_entity {
    const char *text;   /* the text's slice [start, end) */
    const char *label;  /* the model's label without a B-/I-/E-/S- prefix ("DISEASE") */
    float confidence;
    int64_t start, end; /* [start, end) in code points of the caller's text */
    int64_t sentence;   /* index into sentences, -1 when sentence detection was off */
} openmed_text_entity;

typedef struct openmed_analysis {
    openmed_text_entity *entities;
    size_t n_entities;
    openmed_text_span *sentences; /* the sentences found (trimmed); none without sentence detection */
    size_t n_sentences;
    openmed_text_span *chunks;    /* the pipeline inputs, in order */
    size_t n_chunks;
    int sentence_detection;       /* sentences were used (requested, and the text has some) */
    int medical_tokens;           /* the medical-token remap was applied */
    int64_t max_length;           /* the model's tokens per window */
    int64_t n_tokens;             /* tokens the model read, special tokens included */
    int64_t n_windows;            /* forward windows */
} openmed_analysis;

/* Analyze n_texts UTF-8 texts; *out receives an array of n_texts analyses (free it with
 * openmed_analyses_free). Chunks of all texts share forward passes. options NULL = defaults.
 * Fails with OPENMED_ERR_INVALID_ARGUMENT for invalid UTF-8 (naming the text and byte), a
 * threshold outside [0, 1] or a chunk limit below 0 (max_chunk_sentences below 1). */
OPENMED_API openmed_status openmed_analyze(openmed_pipeline *pipeline, const char *const *texts, size_t n_texts,
                                           const openmed_analyze_options *options, openmed_analysis **out,
                                           openmed_error *err);

OPENMED_API void openmed_analyses_free(openmed_analysis *analyses, size_t n_analyses);
/* --- end of analyze_text */

/* ---------------------------------------------------------------- privacy filter */

/* OpenAI Privacy Filter models (model_type "openai_privacy_filter": openai/privacy-filter,
 * OpenMed/privacy-filter-multilingual, OpenMed/privacy-filter-nemotron): a sparse mixture-of-experts
 * encoder that labels PII with BIOES tags, read in one pass over the whole document. They load with
 * openmed_model_load and run in the same pipelines; their natural decoder is the constrained BIOES
 * Viterbi (OPENMED_DECODER_VITERBI), which yields entity groups such as "private_person". */

/* 1 if name_or_path takes the privacy-filter route as in OpenMed: a Hub id or alias
 * ("openai/privacy-filter...", "OpenMed/privacy-filter-...", "privacy-filter"), or a local folder
 * whose config names one. Look-alike names from other owners are rejected. */
OPENMED_API int openmed_is_privacy_filter(const char *name_or_path);

/* The checkpoint to load for a privacy-filter name on this host: MLX-only artifacts (no MLX here)
 * become their PyTorch checkpoints, with a warning through the log callback, once per name; any
 * other name is copied unchanged. Fails when out_size is too small. */
OPENMED_API openmed_status openmed_privacy_filter_resolve(const char *name_or_path, char *out, size_t out_size,
                                                          openmed_error *err);

/* The decoder a model is meant for: viterbi for privacy-filter models, argmax otherwise. */
OPENMED_API openmed_label_decoder openmed_model_default_decoder(const struct openmed_model *model);

/* "argmax" or "viterbi" (case-insensitive). */
OPENMED_API openmed_status openmed_label_decoder_parse(const char *name, openmed_label_decoder *out, openmed_error *err);
OPENMED_API const char *openmed_label_decoder_name(openmed_label_decoder decoder);

/* ---------------------------------------------------------------- registry and hub */

/* The model registry is OpenMed's manifest (data/registry/models.jsonl, Apache-2.0): every row
 * keeps the short names OpenMed derives for it (keys, legacy aliases such as
 * "disease_detection_tiny"). `architecture` is the manifest's heuristic label, shown for
 * information only: the model's config.json decides how it runs. Strings point into the
 * registry, which lives until the process ends; never free them. Fields absent from the
 * manifest are "" (strings) or 0 (param_count). Lists are comma-separated. */
typedef struct openmed_model_info {
    const char *key;                  /* the primary registry key */
    const char *aliases;              /* the other keys that name this model */
    const char *repo_id;              /* "OpenMed/OpenMed-NER-DiseaseDetect-TinyMed-135M" */
    const char *family;               /* NER, PII, ZeroShot, General, Vision */
    const char *task;                 /* "token-classification", ... */
    const char *category;             /* Disease, Privacy, Pharmaceutical, ... */
    const char *languages;            /* "en" or "de,en,es" */
    const char *architecture;         /* informational: the manifest's guess */
    const char *base_model;
    const char *formats;              /* "pytorch", "mlx-fp,pytorch", "onnx" */
    const char *license;
    const char *size_category;        /* Tiny, Small, Medium, Large, XLarge, Unknown */
    const char *reproducibility_hash; /* "sha256:<64 hex>": the manifest pin (see openmed_model_resolve) */
    const char *released;             /* "YYYY-MM-DD" */
    int64_t param_count;
} openmed_model_info;

/* Number of models (manifest rows with a repo id). Loads the registry on first use: from
 * $OPENMED_MODELS_MANIFEST if set, else <prefix>/share/openmed/models.jsonl of the tree libopenmed
 * is installed in, else the source tree's; rows from $OPENMED_EXTRA_MODELS (a JSONL file in the
 * same format) are appended. */
OPENMED_API openmed_status openmed_registry_count(size_t *count, openmed_error *err);

/* The model at `index` (0 <= index < count), in manifest order. */
OPENMED_API openmed_status openmed_registry_at(size_t index, openmed_model_info *out, openmed_error *err);

/* Look a model up by registry key or exact repo id; OPENMED_ERR_NOT_FOUND if it is neither. */
OPENMED_API openmed_status openmed_registry_find(const char *name, openmed_model_info *out, openmed_error *err);

/* Registry names close to a mistyped `name` ("did you mean"), best first: up to max keys (or repo
 * ids, when the name looks like one), within a small edit distance (adjacent swaps count one; case
 * and '-' versus '_' ignored), or starting with the name as a whole word. Offline; *n_out may be 0.
 * The strings point into the registry. */
OPENMED_API openmed_status openmed_registry_suggest(const char *name, const char **out, size_t max, size_t *n_out,
                                                    openmed_error *err);

/* Can this engine run a registry model? Judged from its manifest row: the task must be token
 * classification, the formats must include PyTorch weights (ONNX- and MLX-only rows cannot run),
 * and the architecture must be one this engine implements (GLiNER span models, the ZeroShot
 * family, EuroBERT and Qwen cannot). A row without an architecture takes the one all rows of its model line agree on (the
 * name part before the size, e.g. "PubMed" in ...-PubMed-109M). Returns 1 or 0; when 0, `reason`
 * (may be NULL) says why in one line. The model's own config.json still decides at load. */
OPENMED_API int openmed_registry_runnable(const openmed_model_info *info, char *reason, size_t reason_size);

/* Whether a model is available locally, without the network or any hashing. */
typedef struct openmed_cache_status {
    int cached;                   /* a usable snapshot (config.json and safetensors), or a local folder */
    char path[OPENMED_PATH_MAX];  /* that folder, "" when not cached */
    uint64_t size_bytes;          /* bytes of its files (symbolic links followed) */
} openmed_cache_status;

/* Look a model (path, registry name or repo id) up in the caches openmed_model_fetch uses, at
 * revision "main". Fails only for a name that does not resolve. */
OPENMED_API openmed_status openmed_model_cache_status(const char *name, const openmed_config *cfg, openmed_cache_status *out,
                                                      openmed_error *err);

/* OpenMed's name resolution: an existing local path is returned as is; a registry key or exact
 * repo id gives its repo id; a name without '/' gets cfg->default_org + "/" prepended; "org/name"
 * is used as is. cfg may be NULL (defaults). A name without '/' that is not in the registry but
 * close to a registry name fails with OPENMED_ERR_NOT_FOUND and "did you mean" suggestions,
 * without the network (openmed_model_fetch and openmed_model_load resolve names this way). */
OPENMED_API openmed_status openmed_model_resolve_name(const char *name, const openmed_config *cfg, char *out,
                                                      size_t out_size, openmed_error *err);

/* Download progress: `file` is the repository path being fetched, `done` and `total` its bytes
 * (total 0 = unknown); called with done == total when a file completes or is already cached. */
typedef void (*openmed_progress_callback)(const char *file, uint64_t done, uint64_t total,
                                          void *user_data);

/* Make a model available locally and write its folder to dir_out: a local folder as is, else the
 * Hugging Face cache snapshot (`<cache>/models--ORG--NAME/snapshots/<commit>`). Runtime files only
 * (config, tokenizer files, vocab/merges/sentencepiece, safetensors and their index; never pickle),
 * each checked for size and sha256 / git blob id before it becomes visible. `revision` (branch,
 * tag or commit; NULL = "main", and for registry models the manifest pin is then enforced unless
 * OPENMED_SKIP_MODEL_VERIFY is set). Honours HF_ENDPOINT, HF_TOKEN (or cfg->hf_token),
 * HF_HUB_CACHE / HF_HOME (existing caches are reused), and never touches the network when
 * cfg->local_only, OPENMED_OFFLINE or HF_HUB_OFFLINE is set. `progress` may be NULL. */
OPENMED_API openmed_status openmed_model_fetch(const char *name, const char *revision, const openmed_config *cfg,
                                               openmed_progress_callback progress, void *user_data,
                                               char *dir_out, size_t dir_size, openmed_error *err);

/* ---------------------------------------------------------------- PII extraction and de-identification (deid) */

/* OpenMed's extract_pii and deidentify over a loaded PII token-classification model.
 * Detection reads a folded view of the text: NFKC, zero-width characters, soft hyphens and other
 * format characters removed, digits of every script as ASCII, Cyrillic/Greek look-alike letters
 * inside Latin words as Latin. Detectors over it: the model's entities ("simple" aggregation over
 * the whole text) above a confidence threshold, widened to whole words, with edge white space and
 * sentence punctuation trimmed; a deterministic safety sweep for structured identifiers (e-mail
 * addresses, US phone numbers, SSNs, numeric and month-name dates, URLs, "MRN 1234567"-style record
 * numbers); the caller's deny list. Overlapping spans are joined into their union (no part of a
 * value is left); the allow list drops values; every other whole-word occurrence of a found value
 * (3+ bytes, not a plain lower-case word), as written, capitalised or in capitals, is found too, so
 * a name the model misses once does not leak. Spans map back to whole grapheme clusters of the
 * caller's text, so a value with a zero-width joiner inside is replaced whole. Any failure
 * (including a model giving non-finite scores: OPENMED_ERR_NUMERIC) returns an error and no text.
 * Clinical terms (diseases, drugs) are never names or places. Values and text are never logged.
 * Not implemented: OpenMed's aadhaar_mask method and patterns of languages other than English. */

typedef enum openmed_deid_method {
    OPENMED_DEID_MASK = 0,    /* "[LABEL]" with the raw label, e.g. "[FIRST_NAME]" */
    OPENMED_DEID_REMOVE = 1,  /* "" ("[LABEL_REMOVED]" with keep_mapping, so it can be reversed) */
    OPENMED_DEID_REPLACE = 2, /* a fake value of the same kind: names from a list of 689 first and 995
                                 last names (each word of a name replaced alone, so "John Smith",
                                 "Smith" and "SMITH, JOHN" stay one person), streets, cities,
                                 e-mails, URLs, valid dates in the original's format, other values
                                 with every digit and letter of a token holding a digit replaced;
                                 keyed by HMAC-SHA256 of the secret and the value, so the same value
                                 gets the same surrogate in every document with the same key */
    OPENMED_DEID_HASH = 3,    /* "LABEL_" + 16 hex digits of HMAC-SHA256(secret, value): stable across
                                 documents with the same key, not reversible by a dictionary without it */
    OPENMED_DEID_SHIFT_DATES = 4, /* dates moved by a whole number of days and written in their own
                                     format (always a real calendar date); a date without year,
                                     month and day becomes "[DATE_SHIFTED]"; other identifiers are
                                     masked */
    OPENMED_DEID_FORMAT_PRESERVE = 5 /* the same shape with other characters: digits and letters of
                                        phone, record, card, account and other numbers replaced
                                        (card numbers keep a valid Luhn digit), e-mails as
                                        user-shaped addresses, dates as other valid dates in the same
                                        format; names, places and labels it cannot shape are masked */
} openmed_deid_method;

/* "mask", "remove", "replace", "hash", "shift_dates", "format_preserve" (case-insensitive). OpenMed's
 * "aadhaar_mask" fails with OPENMED_ERR_UNSUPPORTED, anything else with
 * OPENMED_ERR_INVALID_ARGUMENT naming the valid ones. */
OPENMED_API openmed_status openmed_deid_method_parse(const char *name, openmed_deid_method *out, openmed_error *err);
OPENMED_API const char *openmed_deid_method_name(openmed_deid_method method);

#define OPENMED_PII_EXTRACT_THRESHOLD 0.5f /* OpenMed's extract_pii default */
#define OPENMED_DEIDENTIFY_THRESHOLD 0.7f  /* OpenMed's deidentify default */

/* A de-identification policy: per HIPAA identifier class and per label, what happens to a value
 * (the run's method, another method, keep, ages over 89 only, ZIP codes to three digits); a
 * ceiling on the confidence threshold; a mandatory sweep; keep_year. Loaded from JSON (format in
 * data/policies/README.md); immutable, shareable between threads. */
typedef struct openmed_policy openmed_policy;

/* Load a bundled policy by name ("hipaa_safe_harbor", "strict": looked up in $OPENMED_POLICIES_DIR,
 * <prefix>/share/openmed/policies, then the source tree's data/policies) or a policy file (a name
 * with '/' or ending in .json). Unknown keys, classes or actions fail naming the file and key. */
OPENMED_API openmed_status openmed_policy_load(const char *name_or_path, openmed_policy **out, openmed_error *err);
OPENMED_API void openmed_policy_free(openmed_policy *policy);
OPENMED_API const char *openmed_policy_name(const openmed_policy *policy);

typedef struct openmed_deid_options {
    openmed_deid_method method;  /* default OPENMED_DEID_MASK (ignored by openmed_pii_extract) */
    float confidence_threshold;  /* model entities scoring below it are dropped, in [0, 1];
                                    default OPENMED_DEIDENTIFY_THRESHOLD (a policy may lower it) */
    int keep_year;               /* 1: replace, shift_dates and format_preserve keep each date's year
                                    (a shifted 29 February in a non-leap year becomes the 28th) */
    int date_shift_days;         /* shift_dates: days to add, non-zero, |days| <= 36500; 0 (default) =
                                    derived (patient_key, then date_shift_seed, else random) */
    const char *date_shift_seed; /* shift_dates: NULL (default) or a seed string: OpenMed's offset
                                    sha256("openmed-date-shift-seed-v1\0" + seed) in [-max, -1] or [1, max] */
    const char *patient_key;     /* shift_dates: NULL (default) or the patient's identifier: the offset is
                                    HMAC-SHA256(secret, patient_key) in [-max, -1] or [1, max], the same
                                    for every document of that patient; needs `secret` */
    int date_shift_max_days;     /* max of derived offsets, 1..36500; 0 (default) = |date_shift_days|
                                    with a patient_key, else 365 */
    int safety_sweep;            /* 1 (default): add the deterministic detectors: the structured-identifier
                                    sweep and the person-name rules (titles, form fields, signatures,
                                    "patient X", a name list) */
    int keep_mapping;            /* 1: fill `mapping` and number repeated placeholders
                                    ("[FIRST_NAME]", "[FIRST_NAME_2]", ...); default 0 */
    const unsigned char *secret; /* the key of hash, replace, format_preserve and patient_key (bytes,
                                    not copied); NULL (default): one random key per process, with a
                                    warning through the log the first time it is used */
    size_t secret_len;
    const openmed_policy *policy; /* NULL (default): the method for every identifier */
    const char *const *deny_list; /* terms always redacted wherever they occur as whole words,
                                     ignoring ASCII case (label "CUSTOM"); NULL/0 = none */
    size_t n_deny_list;
    const char *const *allow_list; /* values never redacted (a found value equal to one, ignoring
                                      ASCII case, is dropped; deny-list terms win); NULL/0 = none */
    size_t n_allow_list;
    int protect_clinical_terms;  /* 1 (default): a disease, drug or other clinical term from the
                                    bundled list is never a name, place or organisation */
} openmed_deid_options;

/* Deidentify defaults: mask, threshold 0.7, no date shift or seed, sweep on, no mapping, no secret
 * (random per process), no policy, no lists, clinical terms protected. */
OPENMED_API void openmed_deid_options_init(openmed_deid_options *options);

/* One detected identifier. Strings are owned by the result. */
typedef struct openmed_pii_entity {
    const char *text;          /* the original value (the caller decides whether to show it) */
    const char *label;         /* the model's label ("FIRST_NAME") or the sweep's ("EMAIL") */
    int64_t start, end;        /* [start, end) in Unicode code points of the original text */
    float confidence;          /* the model's score; 1 for a sweep-only hit */
    const char *redacted_text; /* the replacement (the value itself when kept); NULL for
                                  openmed_pii_extract */
    const char *source;        /* the detectors that found it joined by '+' ("model", "sweep",
                                  "model+sweep", "deny") or "repeat" (another occurrence of a value
                                  found elsewhere) */
    const char *action;        /* what was done: "mask", "remove", "replace", "hash", "shift_dates",
                                  "format_preserve", "keep", "age_over_89", "zip3"; NULL for
                                  openmed_pii_extract */
    const char *hipaa_class;   /* the identifier class of the label: "names", "geographic", "dates",
                                  "ages", ... "other_identifiers", or "organizations", "states",
                                  "custom" (not among HIPAA's 18) */
} openmed_pii_entity;

/* redacted placeholder -> original value. A placeholder that stands for different values
 * (two names replaced alike) gets the key "__openmed_occurrence_v1__:%08d:<placeholder>" where %08d
 * counts the placeholder's earlier occurrences in the de-identified text. */
typedef struct openmed_deid_mapping {
    const char *redacted;
    const char *original;
} openmed_deid_mapping;

typedef struct openmed_deid_result {
    char *deidentified_text;      /* NUL-terminated; NULL for openmed_pii_extract */
    size_t deidentified_len;      /* bytes */
    openmed_pii_entity *entities; /* in text order, non-overlapping */
    size_t n_entities;
    openmed_deid_method method;   /* the method applied */
    int date_shift_days;           /* the shift applied by shift_dates, else 0 */
    openmed_deid_mapping *mapping; /* with keep_mapping, else NULL */
    size_t n_mapping;
    int random_key;               /* 1: keyed values came from this process's random key */
    float confidence_threshold;   /* the model threshold applied (a policy may have lowered it) */
    int safety_sweep;             /* 1: the sweep ran (a policy may make it mandatory) */
} openmed_deid_result;

/* Find identifiers in `len` bytes of UTF-8 `text`. `model` may be NULL (the sweep alone); it is
 * run with "simple" aggregation over windows covering the whole text and its model-default decoder.
 * options NULL = OPENMED_PII_EXTRACT_THRESHOLD with the sweep on. *out is allocated (free with
 * openmed_deid_result_free). Fails with OPENMED_ERR_INVALID_ARGUMENT for invalid UTF-8 or a NUL
 * byte (naming the byte offset), a threshold outside [0, 1], an unknown method, or model, sweep and
 * deny list all absent; OPENMED_ERR_NUMERIC when the model gives non-finite logits or scores. */
OPENMED_API openmed_status openmed_pii_extract(const struct openmed_model *model, const char *text, size_t len,
                                               const openmed_deid_options *options, openmed_deid_result **out,
                                               openmed_error *err);

/* openmed_pii_extract, then every entity replaced as the policy (or the method) says (options NULL =
 * openmed_deid_options_init). The output never contains a character of a detected value that was
 * not kept (a shifted or replaced date may keep its year with keep_year). Also fails for
 * date_shift_days, date_shift_seed or patient_key without shift_dates, patient_key without a
 * secret. On any failure *out is NULL: never a partial or pass-through text. The bundled demo PII
 * model says so once per process through the log. */
OPENMED_API openmed_status openmed_deidentify(const struct openmed_model *model, const char *text, size_t len,
                                              const openmed_deid_options *options, openmed_deid_result **out,
                                              openmed_error *err);

OPENMED_API void openmed_deid_result_free(openmed_deid_result *result);

/* Undo a de-identification with its mapping (keep_mapping): every placeholder of `mapping` found in
 * `text` (leftmost, longest first) becomes its original; an occurrence key
 * "__openmed_occurrence_v1__:%08d:<placeholder>" applies to that occurrence of the placeholder only.
 * *out is malloc'd and NUL-terminated (free()). Placeholders missing from the text are ignored. */
OPENMED_API openmed_status openmed_reidentify(const char *text, size_t len, const openmed_deid_mapping *mapping,
                                              size_t n_mapping, char **out, size_t *out_len, openmed_error *err);

/* Many texts through the PII model in one pass (how `openmed serve` batches concurrent requests).
 * openmed_pii_pipeline_create makes a pipeline over a PII model set up as openmed_pii_extract runs
 * it, with batch_size windows per forward pass (0 = the pipeline default); a cancellation callback
 * may be installed on it (openmed_pipeline_set_cancel). openmed_pii_run_batch reads the detection
 * views of all texts with one openmed_pipeline_run of that pipeline (NULL = no model: the other
 * detectors alone) and finishes each item as openmed_pii_extract (deidentify 0) or
 * openmed_deidentify (1) would finish it alone, with its own options: each result equals that of
 * the one-text call (scores to float rounding: a packed batch of another shape rounds differently). An item that fails its own checks
 * (invalid UTF-8, NUL, options) gets its own status and error and does not stop the others; a
 * failed model pass (cancellation included) fails every item that reached it and is returned. */
typedef struct openmed_pii_item {
    const char *text;                    /* in: UTF-8, len bytes */
    size_t len;
    const openmed_deid_options *options; /* in: NULL = the defaults of the operation */
    int deidentify;                      /* in: 0 = extract, 1 = deidentify */
    openmed_deid_result *result;         /* out: on success (free with openmed_deid_result_free) */
    openmed_status status;               /* out */
    openmed_error error;                 /* out: the message when status != OPENMED_OK */
} openmed_pii_item;

OPENMED_API openmed_status openmed_pii_pipeline_create(const struct openmed_model *model, int batch_size, openmed_pipeline **out,
                                                       openmed_error *err);
OPENMED_API openmed_status openmed_pii_run_batch(openmed_pipeline *pipeline, openmed_pii_item *items, size_t n,
                                                 openmed_error *err);
/* --- end of PII extraction and de-identification */

#ifdef __cplusplus
}
#endif

#endif /* OPENMED_H */
