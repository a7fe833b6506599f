/* internal.h: the tokenizer's private types shared by its component files (not for other modules). */
#ifndef OM_TOKENIZER_INTERNAL_H
#define OM_TOKENIZER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <cjson/cJSON.h>
#include <pcre2.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/json.h"
#include "core/str.h"
#include "core/utf8.h"
#include "tokenizer/tokenizer.h"

/* ---------------------------------------------------------------- Unicode (unicode.c) */

/* Unicode predicates with Rust/HF meaning. */
int om_uc_is_whitespace(uint32_t cp);   /* char::is_whitespace (White_Space) */
int om_uc_is_alphanumeric(uint32_t cp); /* char::is_alphanumeric */
int om_uc_is_numeric(uint32_t cp);      /* char::is_numeric (N*) */
int om_uc_is_punctuation(uint32_t cp);  /* P* */
int om_uc_is_bert_punctuation(uint32_t cp); /* ASCII punctuation or P* */
int om_uc_is_other(uint32_t cp);        /* C* (Cc Cf Cn Co Cs) */
int om_uc_is_mark_nonspacing(uint32_t cp);
int om_uc_is_chinese(uint32_t cp);


/* ---------------------------------------------------------------- normalized strings (normalized.c) */

/* HF's NormalizedString: the current text plus, for each of its bytes, the [start, end) byte range
 * of the caller's text it came from. */
typedef struct om_nstr {
    char *s;
    uint32_t *a0, *a1;
    size_t len, cap;
} om_nstr;

void om_nstr_free(om_nstr *n);
int om_nstr_reserve(om_nstr *n, size_t extra);
void om_nstr_clear(om_nstr *n);
/* Append n bytes with one alignment for all of them. */
int om_nstr_push(om_nstr *n, const char *s, size_t len, uint32_t a0, uint32_t a1);
/* Append bytes [from, to) of src with their alignments. */
int om_nstr_copy_range(om_nstr *dst, const om_nstr *src, size_t from, size_t to);
/* Set n to the caller's text t[from, to) (each byte aligned to its whole character). */
int om_nstr_set_original(om_nstr *n, const char *t, size_t from, size_t to);

/* HF NormalizedString::transform over a whole string: emit (char, change) pairs in order;
 * change 0 replaces the next source char, 1 inserts, -k replaces and removes k more. */
typedef struct om_xform {
    const om_nstr *src;
    om_nstr *dst;
    size_t pos; /* bytes of src consumed */
    int failed;
} om_xform;

void om_xform_begin(om_xform *x, const om_nstr *src, om_nstr *dst, size_t initial_removed_chars);
void om_xform_emit(om_xform *x, uint32_t cp, int change);

/* ---------------------------------------------------------------- patterns (pattern.c) */

/* HF's Pattern: a literal string or an Oniguruma-like regex (PCRE2 with UTF + UCP). */
typedef struct om_pattern {
    char *literal;
    size_t literal_len;
    pcre2_code *re;
    pcre2_match_context *mctx; /* match limits: a hostile regex fails instead of hanging */
} om_pattern;

typedef struct om_match {
    size_t start, end;
    int is_match;
} om_match;

typedef struct om_matches {
    om_match *items;
    size_t count, cap;
} om_matches;

/* Compile `regex` (utf-8); fails with the PCRE2 message. */
openmed_status om_pattern_regex(om_pattern *p, const char *regex, const char *what, openmed_error *err);
openmed_status om_pattern_literal(om_pattern *p, const char *s, openmed_error *err);
/* Parse HF's {"String": s} / {"Regex": r} object. */
openmed_status om_pattern_from_json(om_pattern *p, const cJSON *j, const char *what, openmed_error *err);
void om_pattern_free(om_pattern *p);
/* HF Pattern::find_matches: the whole of s[0, len) as alternating non-match / match ranges. */
int om_pattern_find(const om_pattern *p, const char *s, size_t len, om_matches *out);
void om_matches_free(om_matches *m);

/* ---------------------------------------------------------------- vocabulary (vocab.c) */

/* Ids beyond this are rejected at load (real vocabularies stay under 300k). */
#define OM_MAX_TOKEN_ID (1 << 22)

/* FNV-1a, 64-bit: extended one byte at a time, so a walk along the text hashes each prefix in O(1). */
#define OM_HASH_INIT 0xcbf29ce484222325ULL
static inline uint64_t om_hash_step(uint64_t h, unsigned char c) { return (h ^ c) * 0x100000001b3ULL; }
static inline uint64_t om_hash_bytes(uint64_t h, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) h = om_hash_step(h, (unsigned char)s[i]);
    return h;
}

/* String -> id hash map plus id -> string table, and the set of proper prefixes of the tokens (by
 * hash) so that prefix walks (WordPiece, Unigram) stop as soon as no token can continue. */
typedef struct om_vocab {
    char **id_to_str;     /* [size], NULL for holes */
    uint32_t *id_len;     /* [size] byte lengths */
    size_t size;          /* max id + 1 */
    size_t ids_cap;       /* allocated entries of id_to_str / id_len */
    int32_t *slots;       /* open addressing: id or -1 */
    uint64_t *slot_hash;
    size_t nslots;
    size_t count;
    size_t max_len;       /* longest token in bytes */
    uint64_t *prefixes;   /* hashes of proper prefixes (0 = empty slot) */
    size_t nprefix_slots, nprefixes;
} om_vocab;

void om_vocab_free(om_vocab *v);
/* Add token -> id; an existing token keeps the later id (HF HashMap insert). */
openmed_status om_vocab_add(om_vocab *v, const char *s, size_t len, int32_t id, openmed_error *err);
int32_t om_vocab_get(const om_vocab *v, const char *s, size_t len);
/* Lookup of the concatenation a + b whose om_hash_bytes is h. */
int32_t om_vocab_get2(const om_vocab *v, uint64_t h, const char *a, size_t alen, const char *b, size_t blen);
const char *om_vocab_str(const om_vocab *v, int32_t id);
/* Byte length of the token `id` (0 for unknown ids). */
size_t om_vocab_len(const om_vocab *v, int32_t id);
/* Record every proper prefix of every token (call once after the last om_vocab_add). */
openmed_status om_vocab_build_prefixes(om_vocab *v, openmed_error *err);
/* Whether some token is longer than and starts with the bytes hashing to h (false positives possible
 * only on 64-bit hash collisions, which merely cost a lookup). */
int om_vocab_is_prefix(const om_vocab *v, uint64_t h);

/* ---------------------------------------------------------------- tokens produced by a model */

typedef struct om_tok {
    int32_t id;
    uint32_t start, end;   /* byte offsets into the split being tokenized (then the original text) */
    uint32_t str_off;      /* token string in the work string pool */
    uint32_t str_len;
    uint8_t special;
} om_tok;

typedef struct om_toks {
    om_tok *items;
    size_t count, cap;
    om_buf strs; /* token strings (not NUL-terminated, str_off/str_len) */
} om_toks;

int om_toks_push(om_toks *t, int32_t id, size_t start, size_t end, const char *s, size_t slen);
void om_toks_free(om_toks *t);

/* ---------------------------------------------------------------- components */

typedef struct om_charsmap om_charsmap;

enum {
    OM_NORM_BERT = 1, OM_NORM_LOWERCASE, OM_NORM_STRIP, OM_NORM_STRIP_ACCENTS, OM_NORM_NFC, OM_NORM_NFD,
    OM_NORM_NFKC, OM_NORM_NFKD, OM_NORM_REPLACE, OM_NORM_PREPEND, OM_NORM_PRECOMPILED, OM_NORM_SEQUENCE,
    OM_NORM_BYTELEVEL
};

typedef struct om_normalizer {
    int type;
    int clean_text, handle_chinese_chars, strip_accents, lowercase; /* BertNormalizer */
    int strip_left, strip_right;                                    /* Strip */
    om_pattern pattern;                                             /* Replace */
    char *content;                                                  /* Replace content, Prepend */
    om_charsmap *charsmap;                                          /* Precompiled */
    struct om_normalizer *children;
    size_t nchildren;
} om_normalizer;

openmed_status om_normalizer_parse(om_normalizer *n, const cJSON *j, openmed_error *err);
void om_normalizer_free(om_normalizer *n);
/* Normalize `in` into `out` (out is overwritten; in may be clobbered). */
int om_normalizer_apply(const om_normalizer *n, om_nstr *in, om_nstr *out);

/* SentencePiece precompiled charsmap (precompiled.c). */
openmed_status om_charsmap_parse(om_charsmap **out, const char *base64, openmed_error *err);
void om_charsmap_free(om_charsmap *c);
/* Normalization of one chunk: the replacement (NUL-terminated in the pool) or NULL. */
const char *om_charsmap_transform(const om_charsmap *c, const char *s, size_t len);
/* Whether the ASCII byte b, as a grapheme of its own, is left unchanged. */
int om_charsmap_ascii_kept(const om_charsmap *c, unsigned char b);

/* Pre-tokenized string: one buffer with every split's normalized text, and the splits. */
typedef struct om_split {
    size_t begin, end; /* byte range in text */
    int32_t added_id;  /* >= 0: an added token (not pre-tokenized nor tokenized by the model) */
} om_split;

typedef struct om_pretok {
    om_nstr text;
    om_split *splits;
    size_t count, cap;
    int inplace; /* while a pre-tokenizer only splits: new splits point into the input's text */
} om_pretok;

int om_pretok_add(om_pretok *p, size_t begin, size_t end, int32_t added_id);
void om_pretok_free(om_pretok *p);

enum {
    OM_PRE_BERT = 1, OM_PRE_BYTELEVEL, OM_PRE_WHITESPACE, OM_PRE_WHITESPACE_SPLIT, OM_PRE_METASPACE,
    OM_PRE_SPLIT, OM_PRE_PUNCTUATION, OM_PRE_DIGITS, OM_PRE_SEQUENCE, OM_PRE_CHAR_DELIMITER,
    OM_PRE_UNICODE_SCRIPTS
};
enum { OM_SPLIT_REMOVED = 0, OM_SPLIT_ISOLATED, OM_SPLIT_MERGED_PREV, OM_SPLIT_MERGED_NEXT, OM_SPLIT_CONTIGUOUS };
enum { OM_PREPEND_ALWAYS = 0, OM_PREPEND_FIRST, OM_PREPEND_NEVER };

typedef struct om_pretokenizer {
    int type;
    int add_prefix_space, trim_offsets, use_regex; /* ByteLevel */
    uint32_t replacement;                          /* Metaspace */
    int prepend_scheme, split;                     /* Metaspace */
    om_pattern pattern;                            /* Split, Whitespace, ByteLevel regex */
    int behavior, invert;                          /* Split, Punctuation, CharDelimiterSplit */
    int individual_digits;                         /* Digits */
    uint32_t delimiter;                            /* CharDelimiterSplit */
    struct om_pretokenizer *children;
    size_t nchildren;
} om_pretokenizer;

openmed_status om_pretokenizer_parse(om_pretokenizer *p, const cJSON *j, openmed_error *err);
void om_pretokenizer_free(om_pretokenizer *p);
/* Apply to every split without an added token; `scratch` is reused storage. */
int om_pretokenizer_apply(const om_pretokenizer *p, om_pretok *pt, om_pretok *scratch);

/* The ByteLevel byte <-> char tables (GPT-2). */
uint32_t om_bytelevel_char(unsigned char b);
int om_bytelevel_byte(uint32_t cp); /* -1 when cp is not a byte-level char */

enum { OM_MODEL_WORDPIECE = 1, OM_MODEL_BPE, OM_MODEL_UNIGRAM, OM_MODEL_WORDLEVEL };

typedef struct om_merge_map {
    uint64_t *keys;   /* (left << 32 | right) + 1, 0 = empty */
    uint32_t *rank;
    int32_t *new_id;
    size_t nslots, count;
} om_merge_map;

typedef struct om_model {
    int type;
    om_vocab vocab;
    int32_t unk_id;          /* -1 when none */
    char *unk_token;
    char *prefix;            /* continuing_subword_prefix (NULL = None) */
    char *suffix;            /* end_of_word_suffix */
    size_t max_input_chars_per_word;
    int fuse_unk, byte_fallback, ignore_merges;
    om_merge_map merges;
    double *scores;          /* Unigram */
    double min_score;
} om_model;

openmed_status om_model_parse(om_model *m, const cJSON *j, openmed_error *err);
void om_model_free(om_model *m);
/* Tokenize one split s[0, len) appending to out (offsets relative to s). */
/* A per-request memo of words already tokenized (HF's BPE keeps one too): words up to
 * OM_WORD_CACHE_MAX_LEN bytes, kept in the caller's encoding, so repeated words skip the merges. */
#define OM_WORD_CACHE_MAX_LEN 48
typedef struct om_word_cache {
    uint64_t owner;    /* serial of the tokenizer the entries belong to */
    uint64_t *hash;    /* [nslots], 0 = empty */
    uint32_t *key_off, *tok_off; /* into keys / toks */
    uint16_t *key_len, *tok_count;
    size_t nslots, used;
    om_buf keys;
    om_tok *toks;
    size_t ntoks, toks_cap;
} om_word_cache;

void om_word_cache_free(om_word_cache *c);

int om_model_tokenize(const om_model *m, const char *s, size_t len, om_toks *out, om_word_cache *cache,
                      openmed_error *err);
int om_wordpiece_tokenize(const om_model *m, const char *s, size_t len, om_toks *out);
int om_bpe_tokenize(const om_model *m, const char *s, size_t len, om_toks *out);
int om_unigram_tokenize(const om_model *m, const char *s, size_t len, om_toks *out, openmed_error *err);
openmed_status om_wordpiece_parse(om_model *m, const cJSON *j, openmed_error *err);
openmed_status om_bpe_parse(om_model *m, const cJSON *j, openmed_error *err);
openmed_status om_unigram_parse(om_model *m, const cJSON *j, openmed_error *err);
/* Build a WordPiece model from vocab.txt text (one token per line, id = line number). */
openmed_status om_wordpiece_from_vocab_txt(om_model *m, const char *text, size_t len, const char *name,
                                           openmed_error *err);

enum { OM_POST_TEMPLATE = 1, OM_POST_BERT, OM_POST_ROBERTA, OM_POST_BYTELEVEL, OM_POST_SEQUENCE };

typedef struct om_template_piece {
    int is_sequence;   /* 1: the sequence ($A); 0: special tokens */
    int32_t *ids;
    char **tokens;
    size_t count;
} om_template_piece;

typedef struct om_postprocessor {
    int type;
    om_template_piece *single; /* Template / Bert / Roberta: the single-sequence layout */
    size_t nsingle;
    int trim_offsets, add_prefix_space; /* Roberta, ByteLevel */
    struct om_postprocessor *children;
    size_t nchildren;
} om_postprocessor;

openmed_status om_postprocessor_parse(om_postprocessor *p, const cJSON *j, openmed_error *err);
void om_postprocessor_free(om_postprocessor *p);
/* Offset handling applied even without special tokens (ByteLevel trim_offsets); byte offsets. */
void om_postprocessor_offsets(const om_postprocessor *p, om_toks *t);
/* The single-sequence template (NULL when the processor adds nothing). */
const om_postprocessor *om_postprocessor_template(const om_postprocessor *p);

enum {
    OM_DEC_BYTELEVEL = 1, OM_DEC_WORDPIECE, OM_DEC_METASPACE, OM_DEC_SEQUENCE, OM_DEC_REPLACE,
    OM_DEC_BYTE_FALLBACK, OM_DEC_FUSE, OM_DEC_STRIP, OM_DEC_BPE, OM_DEC_CTC
};

typedef struct om_decoder {
    int type;
    char *prefix;     /* WordPiece prefix; BPE suffix; CTC pad token */
    int cleanup;      /* WordPiece / CTC */
    uint32_t replacement; int prepend_scheme; /* Metaspace */
    om_pattern pattern; char *content;        /* Replace */
    char *strip_content; size_t start, stop;  /* Strip */
    char *word_delimiter;                     /* CTC */
    struct om_decoder *children;
    size_t nchildren;
} om_decoder;

openmed_status om_decoder_parse(om_decoder *d, const cJSON *j, openmed_error *err);
void om_decoder_free(om_decoder *d);
/* decode_chain over a list of malloc'd strings (replaced in place; count may change). */
int om_decoder_chain(const om_decoder *d, char ***tokens, size_t *count);

/* Added tokens (added_tokens.c). */
typedef struct om_added_token {
    char *content;    /* as configured: the token string HF reports */
    size_t len;
    char *match;      /* what is searched for: content, normalized when the token is "normalized" */
    size_t match_len;
    int32_t id;
    int special, single_word, lstrip, rstrip, normalized;
} om_added_token;

typedef struct om_added_vocab {
    om_added_token *tokens;
    size_t count, cap;
    uint8_t first_byte[2][256]; /* [normalized][byte]: some token of that kind starts with it */
    int has[2];
} om_added_vocab;

openmed_status om_added_vocab_parse(om_added_vocab *a, const cJSON *j, openmed_error *err);
void om_added_vocab_free(om_added_vocab *a);
/* HF AddedVocabulary::find_matches over s[0, len) with tokens of one kind (normalized 0/1):
 * appends (range, token index or -1) pieces to out. */
typedef struct om_added_piece {
    size_t start, end;
    int32_t token; /* index into a->tokens, or -1 */
} om_added_piece;
int om_added_find(const om_added_vocab *a, int normalized, const char *s, size_t len,
                  om_added_piece **out, size_t *count, size_t *cap);

/* ---------------------------------------------------------------- the tokenizer */

struct openmed_tokenizer {
    om_normalizer *normalizer;       /* NULL = none */
    om_pretokenizer *pretokenizer;
    om_model model;
    om_postprocessor *postprocessor;
    om_decoder *decoder;
    om_added_vocab added;
    int64_t model_max_length;
    int32_t special_ids[OM_SPECIAL_ROLE_COUNT];
    int clean_up_tokenization_spaces;
    size_t id_space;                 /* max id + 1 over model vocab and added tokens */
    uint64_t serial;                 /* unique per loaded tokenizer (word caches check it) */
};

/* Fill model_max_length / special ids / cleanup from tokenizer_config.json (or special_tokens_map) text. */
openmed_status om_tokenizer_apply_config(om_tokenizer *tok, const char *config_json, const char *name,
                                         openmed_error *err);

#endif
