/* tokenizer.h: the tokenizer API the engine and pipeline code against (Hugging Face `tokenizers` semantics). */
#ifndef OM_TOKENIZER_H
#define OM_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "openmed.h"

/* A loaded tokenizer: immutable after load, safe to share between threads. */
typedef struct openmed_tokenizer om_tokenizer; /* the public openmed_tokenizer */

/* The encoding type is the public openmed_encoding (include/openmed.h):
 *   count, ids[count], offsets[2*count] ([start, end) in code points of the caller's text,
 *   special tokens [0, 0]), special_tokens_mask[count], and the token strings reached with
 *   om_encoding_token(enc, i). Initialise with om_encoding_init, release with om_encoding_free;
 *   reuse one encoding across calls (encode clears it first and keeps its working memory, which
 *   makes the next encode faster). Never copy an encoding by value: it owns its buffers. */
typedef openmed_encoding om_encoding;

/* HF's VERY_LARGE_INTEGER (int(1e30)), the model_max_length when tokenizer_config.json has none;
 * larger stored values are clamped to it too. */
#define OM_TOKENIZER_NO_MAX_LENGTH INT64_MAX

/* Special-token roles from tokenizer_config.json / special_tokens_map.json (then the post-processor). */
typedef enum om_special_role {
    OM_SPECIAL_PAD = 0,
    OM_SPECIAL_UNK,
    OM_SPECIAL_CLS,
    OM_SPECIAL_SEP,
    OM_SPECIAL_MASK,
    OM_SPECIAL_BOS,
    OM_SPECIAL_EOS,
    OM_SPECIAL_ROLE_COUNT
} om_special_role;

/* ---- loading */

/* Load from a folder: tokenizer.json (+ tokenizer_config.json, special_tokens_map.json), or a
 * vocab.txt-only BERT folder (WordPiece built from tokenizer_config.json's do_lower_case etc.). */
openmed_status om_tokenizer_load_dir(const char *dir, om_tokenizer **out, openmed_error *err);

/* Load from tokenizer.json text in memory; `config_json` is tokenizer_config.json text or NULL.
 * `name` is used in error messages (e.g. the file path). */
openmed_status om_tokenizer_load_json(const char *json, size_t json_len, const char *config_json,
                                      const char *name, om_tokenizer **out, openmed_error *err);

void om_tokenizer_free(om_tokenizer *tok);

/* ---- encoding */

void om_encoding_init(om_encoding *enc);
void om_encoding_free(om_encoding *enc);
/* The i-th token string (NUL-terminated, owned by the encoding). */
const char *om_encoding_token(const om_encoding *enc, size_t i);

/* Encode one text (UTF-8, `len` bytes; invalid UTF-8 fails naming the byte offset).
 * add_special_tokens = 0: the content tokens only, but with the post-processor's offset handling
 * applied (RobertaProcessing / ByteLevel trim_offsets), exactly as HF's
 * encode(text, add_special_tokens=False). add_special_tokens = 1: the single-sequence template. */
openmed_status om_tokenizer_encode(const om_tokenizer *tok, const char *text, size_t len,
                                   int add_special_tokens, om_encoding *out, openmed_error *err);

/* How many special tokens the single-sequence template adds (HF num_special_tokens_to_add(False)). */
size_t om_tokenizer_num_special_tokens(const om_tokenizer *tok);

/* Wrap content tokens [begin, end) of `content` (an encoding made with add_special_tokens = 0)
 * with the single-sequence special tokens into `out` (cleared first), as HF builds each overflow
 * window: specials get offsets [0, 0] and special_tokens_mask 1. `out` must not be `content`. */
openmed_status om_tokenizer_wrap_single(const om_tokenizer *tok, const om_encoding *content,
                                        size_t begin, size_t end, om_encoding *out,
                                        openmed_error *err);

/* ---- vocabulary and configuration */

/* model_max_length from tokenizer_config.json, or OM_TOKENIZER_NO_MAX_LENGTH. */
int64_t om_tokenizer_model_max_length(const om_tokenizer *tok);

/* Size of the id space (model vocabulary plus added tokens: max id + 1). */
size_t om_tokenizer_vocab_size(const om_tokenizer *tok);

/* id -> token string (added tokens included); NULL when the id is unknown. */
const char *om_tokenizer_id_to_token(const om_tokenizer *tok, int32_t id);

/* token string -> id (added tokens first, then the model vocabulary); -1 when absent. */
int32_t om_tokenizer_token_to_id(const om_tokenizer *tok, const char *token);

/* The id of a special-token role, or -1 when the tokenizer has none. */
int32_t om_tokenizer_special_id(const om_tokenizer *tok, om_special_role role);

/* Whether `id` is a special added token (what HF puts in special_tokens_mask / skips on decode). */
int om_tokenizer_is_special(const om_tokenizer *tok, int32_t id);

/* The model's continuing_subword_prefix as HF's pipeline sees it via
 * getattr(model, "continuing_subword_prefix", None): "##" for WordPiece, the BPE value when set;
 * NULL when absent, None or "" (HF treats those as falsy: Unigram, most BPE). */
const char *om_tokenizer_continuing_subword_prefix(const om_tokenizer *tok);

/* ---- decoding */

/* The tokenizer's decoder applied to token strings, as transformers' convert_tokens_to_string
 * (decoder.decode(tokens), or " ".join(tokens) without a decoder). Returns a malloc'd string. */
openmed_status om_tokenizer_decode_tokens(const om_tokenizer *tok, const char *const *tokens,
                                          size_t count, char **out, openmed_error *err);

/* HF tokenizer.decode(ids, skip_special_tokens): ids -> tokens -> decoder; then, when
 * tokenizer_config.json's clean_up_tokenization_spaces is true, transformers' cleanup.
 * Returns a malloc'd string. Unknown ids fail. */
openmed_status om_tokenizer_decode(const om_tokenizer *tok, const int32_t *ids, size_t count,
                                   int skip_special_tokens, char **out, openmed_error *err);

#endif
