/* tokenizer.c: loading a tokenizer (tokenizer.json + tokenizer_config.json / special_tokens_map.json, or a
 * vocab.txt-only BERT folder), its vocabulary and configuration queries, and decoding. */
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "tokenizer/internal.h"

#define OM_TOKENIZER_JSON_MAX ((size_t)1 << 30)

void om_tokenizer_free(om_tokenizer *tok) {
    if (!tok) return;
    if (tok->normalizer) { om_normalizer_free(tok->normalizer); free(tok->normalizer); }
    if (tok->pretokenizer) { om_pretokenizer_free(tok->pretokenizer); free(tok->pretokenizer); }
    om_model_free(&tok->model);
    if (tok->postprocessor) { om_postprocessor_free(tok->postprocessor); free(tok->postprocessor); }
    if (tok->decoder) { om_decoder_free(tok->decoder); free(tok->decoder); }
    om_added_vocab_free(&tok->added);
    free(tok);
}

static om_tokenizer *tok_new(void) {
    static _Atomic uint64_t next_serial = 1;
    om_tokenizer *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->serial = next_serial++;
    t->model_max_length = OM_TOKENIZER_NO_MAX_LENGTH;
    for (int i = 0; i < OM_SPECIAL_ROLE_COUNT; i++) t->special_ids[i] = -1;
    return t;
}

/* Prepare the added-token matchers: normalized tokens match the normalized form of their content. */
static openmed_status prepare_added(om_tokenizer *t, openmed_error *err) {
    om_added_vocab *a = &t->added;
    for (size_t i = 0; i < a->count; i++) {
        om_added_token *k = &a->tokens[i];
        if (k->normalized && t->normalizer && k->len) {
            om_nstr in = {0}, out = {0};
            int ok = om_nstr_set_original(&in, k->content, 0, k->len) && om_normalizer_apply(t->normalizer, &in, &out);
            if (ok) {
                char *c = om_strndup(out.s ? out.s : "", out.len);
                if (c) { free(k->match); k->match = c; k->match_len = out.len; }
                else ok = 0;
            }
            om_nstr_free(&in);
            om_nstr_free(&out);
            if (!ok) return om_fail(err, OPENMED_ERR_NO_MEMORY, "added tokens");
        }
        if (k->match_len) {
            a->first_byte[k->normalized ? 1 : 0][(unsigned char)k->match[0]] = 1;
            a->has[k->normalized ? 1 : 0] = 1;
        }
        if ((size_t)k->id + 1 > t->id_space) t->id_space = (size_t)k->id + 1;
    }
    if (t->model.vocab.size > t->id_space) t->id_space = t->model.vocab.size;
    return OPENMED_OK;
}

/* Every id a post-processor adds lies inside the id space (HF would emit it and the model's
 * embedding lookup would fail later; here the tokenizer.json is refused naming the token). */
static openmed_status check_post_ids(const om_postprocessor *p, size_t id_space, openmed_error *err) {
    if (!p) return OPENMED_OK;
    for (size_t i = 0; i < p->nsingle; i++) {
        const om_template_piece *piece = &p->single[i];
        for (size_t k = 0; !piece->is_sequence && k < piece->count; k++)
            if (piece->ids[k] < 0 || (size_t)piece->ids[k] >= id_space)
                return om_fail(err, OPENMED_ERR_FORMAT,
                               "post_processor: special token \"%.64s\" has id %d, outside the %zu ids of the vocabulary",
                               piece->tokens && piece->tokens[k] ? piece->tokens[k] : "?", (int)piece->ids[k], id_space);
    }
    for (size_t i = 0; i < p->nchildren; i++) {
        openmed_status st = check_post_ids(&p->children[i], id_space, err);
        if (st) return st;
    }
    return OPENMED_OK;
}

static openmed_status parse_component(void **slot, size_t size, const cJSON *j,
                                      openmed_status (*parse)(void *, const cJSON *, openmed_error *),
                                      void (*free_fn)(void *), openmed_error *err) {
    if (!j || cJSON_IsNull(j)) return OPENMED_OK;
    void *c = calloc(1, size);
    if (!c) return om_fail(err, OPENMED_ERR_NO_MEMORY, "tokenizer");
    openmed_status st = parse(c, j, err);
    *slot = c; /* freed by om_tokenizer_free even when parsing failed half-way */
    (void)free_fn;
    return st;
}

/* The key under which a string (or key) that is not valid UTF-8 sits, or NULL when all are valid
 * (serde, which HF uses, rejects such files; escapes like a lone \\ud800 decode to invalid bytes). */
static const char *invalid_string(const cJSON *j) {
    for (const cJSON *c = j->child; c; c = c->next) {
        if (c->string && om_utf8_validate(c->string, strlen(c->string)) != strlen(c->string)) return "(a key)";
        if (cJSON_IsString(c) && om_utf8_validate(c->valuestring, strlen(c->valuestring)) != strlen(c->valuestring))
            return c->string ? c->string : "(a list item)";
        if (c->child) {
            const char *b = invalid_string(c);
            if (b) return b;
        }
    }
    return NULL;
}

openmed_status om_tokenizer_load_json(const char *json, size_t json_len, const char *config_json, const char *name,
                                      om_tokenizer **out, openmed_error *err) {
    *out = NULL;
    if (!name) name = "tokenizer.json";
    const char *end = NULL;
    int oom = 0;
    cJSON *root = om_json_parse(json, json_len, &end, &oom);
    if (oom) return om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory parsing it", name);
    if (!root) {
        size_t at = end ? (size_t)(end - json) : 0;
        return om_fail(err, OPENMED_ERR_FORMAT, "%s: malformed or truncated JSON near byte %zu", name, at);
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return om_fail(err, OPENMED_ERR_FORMAT, "%s: the top level must be a JSON object", name);
    }
    const char *bad = invalid_string(root);
    if (bad) {
        openmed_status st = om_fail(err, OPENMED_ERR_FORMAT, "%s: a string in \"%.64s\" is not valid UTF-8", name, bad);
        cJSON_Delete(root);
        return st;
    }
    om_tokenizer *t = tok_new();
    if (!t) { cJSON_Delete(root); return om_fail(err, OPENMED_ERR_NO_MEMORY, "tokenizer"); }
    openmed_status st = OPENMED_OK;
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    if (!model) st = om_fail(err, OPENMED_ERR_FORMAT, "missing \"model\"");
    if (!st) st = om_model_parse(&t->model, model, err);
    if (!st) st = parse_component((void **)&t->normalizer, sizeof(om_normalizer), cJSON_GetObjectItemCaseSensitive(root, "normalizer"),
                                  (openmed_status(*)(void *, const cJSON *, openmed_error *))om_normalizer_parse, NULL, err);
    if (!st) st = parse_component((void **)&t->pretokenizer, sizeof(om_pretokenizer),
                                  cJSON_GetObjectItemCaseSensitive(root, "pre_tokenizer"),
                                  (openmed_status(*)(void *, const cJSON *, openmed_error *))om_pretokenizer_parse, NULL, err);
    if (!st) st = parse_component((void **)&t->postprocessor, sizeof(om_postprocessor),
                                  cJSON_GetObjectItemCaseSensitive(root, "post_processor"),
                                  (openmed_status(*)(void *, const cJSON *, openmed_error *))om_postprocessor_parse, NULL, err);
    if (!st) st = parse_component((void **)&t->decoder, sizeof(om_decoder), cJSON_GetObjectItemCaseSensitive(root, "decoder"),
                                  (openmed_status(*)(void *, const cJSON *, openmed_error *))om_decoder_parse, NULL, err);
    if (!st) st = om_added_vocab_parse(&t->added, cJSON_GetObjectItemCaseSensitive(root, "added_tokens"), err);
    cJSON_Delete(root);
    if (!st) st = prepare_added(t, err);
    if (!st) st = check_post_ids(t->postprocessor, t->id_space, err);
    if (!st && config_json) st = om_tokenizer_apply_config(t, config_json, "tokenizer_config.json", err);
    if (st) {
        om_tokenizer_free(t);
        return om_fail_prefix(err, st, "%s", name);
    }
    *out = t;
    return OPENMED_OK;
}

/* ---------------------------------------------------------------- tokenizer_config.json */

static const char *role_keys[OM_SPECIAL_ROLE_COUNT] = {"pad_token", "unk_token", "cls_token", "sep_token",
                                                       "mask_token", "bos_token", "eos_token"};

static const char *token_text(const cJSON *v) {
    if (cJSON_IsString(v)) return v->valuestring;
    if (cJSON_IsObject(v)) return om_json_str(v, "content");
    return NULL;
}

static int class_is(const char *cls, const char *const *names) {
    if (!cls) return 0;
    for (; *names; names++) {
        size_t n = strlen(*names);
        if (!strncmp(cls, *names, n) && (!cls[n] || !strcmp(cls + n, "Fast"))) return 1;
    }
    return 0;
}

static void set_bytelevel_prefix(om_pretokenizer *p, int add_prefix_space) {
    if (!p) return;
    if (p->type == OM_PRE_BYTELEVEL) p->add_prefix_space = add_prefix_space;
    for (size_t i = 0; i < p->nchildren; i++) set_bytelevel_prefix(&p->children[i], add_prefix_space);
}

static void set_roberta_post(om_postprocessor *p, const cJSON *aps, const cJSON *trim) {
    if (!p) return;
    if (p->type == OM_POST_ROBERTA || p->type == OM_POST_BYTELEVEL) {
        if (cJSON_IsBool(aps)) p->add_prefix_space = cJSON_IsTrue(aps);
        if (cJSON_IsBool(trim)) p->trim_offsets = cJSON_IsTrue(trim);
    }
    for (size_t i = 0; i < p->nchildren; i++) set_roberta_post(&p->children[i], aps, trim);
}

/* transformers' model classes rebuild parts of the pipeline from tokenizer_config.json (v4's
 * BertTokenizerFast / RobertaTokenizerFast sync the backend to their arguments; v5 builds the
 * pipeline from them): a value stated in the config wins over tokenizer.json. Only stated values
 * are applied. */
static void sync_class_options(om_tokenizer *tok, const cJSON *c) {
    static const char *const bert_like[] = {"BertTokenizer", "DistilBertTokenizer", "ElectraTokenizer",
                                            "MobileBertTokenizer", "ConvBertTokenizer", "LayoutLMTokenizer", NULL};
    static const char *const roberta_like[] = {"RobertaTokenizer", "LongformerTokenizer", "BartTokenizer", NULL};
    const char *cls = om_json_str(c, "tokenizer_class");
    if (class_is(cls, bert_like) && tok->normalizer && tok->normalizer->type == OM_NORM_BERT) {
        om_normalizer *n = tok->normalizer;
        const cJSON *lower = cJSON_GetObjectItemCaseSensitive(c, "do_lower_case");
        const cJSON *strip = cJSON_GetObjectItemCaseSensitive(c, "strip_accents");
        const cJSON *cjk = cJSON_GetObjectItemCaseSensitive(c, "tokenize_chinese_chars");
        if (cJSON_IsBool(lower)) n->lowercase = cJSON_IsTrue(lower);
        if (cJSON_IsBool(strip)) n->strip_accents = cJSON_IsTrue(strip);
        else if (cJSON_IsBool(lower) && (!strip || cJSON_IsNull(strip))) n->strip_accents = n->lowercase;
        if (cJSON_IsBool(cjk)) n->handle_chinese_chars = cJSON_IsTrue(cjk);
    }
    if (class_is(cls, roberta_like)) {
        const cJSON *aps = cJSON_GetObjectItemCaseSensitive(c, "add_prefix_space");
        const cJSON *trim = cJSON_GetObjectItemCaseSensitive(c, "trim_offsets");
        if (cJSON_IsBool(aps)) set_bytelevel_prefix(tok->pretokenizer, cJSON_IsTrue(aps));
        set_roberta_post(tok->postprocessor, aps, trim);
    }
}

openmed_status om_tokenizer_apply_config(om_tokenizer *tok, const char *config_json, const char *name,
                                         openmed_error *err) {
    int oom = 0;
    cJSON *c = om_json_parse(config_json, strlen(config_json), NULL, &oom);
    if (oom) return om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory parsing it", name);
    if (!c || !cJSON_IsObject(c)) {
        cJSON_Delete(c);
        return om_fail(err, OPENMED_ERR_FORMAT, "%s: malformed JSON", name);
    }
    const cJSON *mml = cJSON_GetObjectItemCaseSensitive(c, "model_max_length");
    if (!cJSON_IsNumber(mml)) mml = cJSON_GetObjectItemCaseSensitive(c, "max_len"); /* the older key */
    if (cJSON_IsNumber(mml)) {
        double value = mml->valuedouble; /* read before the tree is freed */
        if (value < 1) {
            cJSON_Delete(c);
            return om_fail(err, OPENMED_ERR_FORMAT, "%s: model_max_length %g must be positive", name, value);
        }
        tok->model_max_length = mml->valuedouble >= 9.2e18 ? OM_TOKENIZER_NO_MAX_LENGTH : (int64_t)mml->valuedouble;
    }
    for (int r = 0; r < OM_SPECIAL_ROLE_COUNT; r++) {
        const char *s = token_text(cJSON_GetObjectItemCaseSensitive(c, role_keys[r]));
        if (s) tok->special_ids[r] = om_tokenizer_token_to_id(tok, s);
    }
    tok->clean_up_tokenization_spaces = om_json_bool(c, "clean_up_tokenization_spaces", tok->clean_up_tokenization_spaces);
    sync_class_options(tok, c);
    cJSON_Delete(c);
    return OPENMED_OK;
}

/* ---------------------------------------------------------------- folders */

static openmed_status read_optional(const char *dir, const char *file, char **data, openmed_error *err) {
    char path[OPENMED_PATH_MAX];
    size_t size;
    *data = NULL;
    openmed_status st = om_path_join(path, sizeof path, dir, file, err);
    if (st) return st;
    if (!om_file_exists(path)) return OPENMED_OK;
    return om_read_file(path, OM_TOKENIZER_JSON_MAX, data, &size, err);
}

static openmed_status add_token(om_added_vocab *a, const char *s, int32_t id, int special, int normalized,
                                openmed_error *err) {
    if (a->count == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 8;
        om_added_token *t = realloc(a->tokens, cap * sizeof *t);
        if (!t) return om_fail(err, OPENMED_ERR_NO_MEMORY, "added tokens");
        memset(t + a->count, 0, (cap - a->count) * sizeof *t);
        a->tokens = t;
        a->cap = cap;
    }
    om_added_token *k = &a->tokens[a->count];
    if (!(k->content = om_strdup(s)) || !(k->match = om_strdup(s))) {
        free(k->content);
        k->content = NULL;
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "added tokens");
    }
    k->len = k->match_len = strlen(s);
    k->id = id;
    k->special = special;
    k->normalized = normalized;
    a->count++;
    return OPENMED_OK;
}

/* A BERT folder with only vocab.txt: the tokenizer transformers' BertConverter builds. */
static openmed_status load_vocab_txt(const char *dir, const char *config, om_tokenizer **out, openmed_error *err) {
    char path[OPENMED_PATH_MAX];
    char *text = NULL;
    size_t size;
    openmed_status st = om_path_join(path, sizeof path, dir, "vocab.txt", err);
    if (st) return st;
    if ((st = om_read_file(path, OM_TOKENIZER_JSON_MAX, &text, &size, err))) return st;
    om_tokenizer *t = tok_new();
    if (!t) { free(text); return om_fail(err, OPENMED_ERR_NO_MEMORY, "tokenizer"); }
    st = om_wordpiece_from_vocab_txt(&t->model, text, size, path, err);
    free(text);
    int oom = 0;
    cJSON *c = config ? om_json_parse(config, strlen(config), NULL, &oom) : NULL;
    if (!st && oom) st = om_fail(err, OPENMED_ERR_NO_MEMORY, "%s/tokenizer_config.json: out of memory parsing it", dir);
    if (!st && config && !cJSON_IsObject(c)) st = om_fail(err, OPENMED_ERR_FORMAT, "%s/tokenizer_config.json: malformed JSON", dir);
    int lower = om_json_bool(c, "do_lower_case", 1);
    int chinese = om_json_bool(c, "tokenize_chinese_chars", 1);
    int strip = om_json_bool(c, "strip_accents", -1);
    const char *names[5] = {"[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]"};
    const char *keys[5] = {"unk_token", "sep_token", "pad_token", "cls_token", "mask_token"};
    for (int i = 0; i < 5 && c; i++) {
        const char *s = token_text(cJSON_GetObjectItemCaseSensitive(c, keys[i]));
        if (s) names[i] = s;
    }
    if (!st && strcmp(names[0], "[UNK]")) {
        free(t->model.unk_token);
        if (!(t->model.unk_token = om_strdup(names[0]))) st = om_fail(err, OPENMED_ERR_NO_MEMORY, "tokenizer");
        else t->model.unk_id = om_vocab_get(&t->model.vocab, names[0], strlen(names[0]));
    }
    if (!st) {
        t->normalizer = calloc(1, sizeof *t->normalizer);
        t->pretokenizer = calloc(1, sizeof *t->pretokenizer);
        t->postprocessor = calloc(1, sizeof *t->postprocessor);
        t->decoder = calloc(1, sizeof *t->decoder);
        t->added.tokens = calloc(5, sizeof *t->added.tokens);
        t->added.cap = 5;
        if (!t->normalizer || !t->pretokenizer || !t->postprocessor || !t->decoder || !t->added.tokens)
            st = om_fail(err, OPENMED_ERR_NO_MEMORY, "tokenizer");
    }
    if (!st) {
        t->normalizer->type = OM_NORM_BERT;
        t->normalizer->clean_text = 1;
        t->normalizer->handle_chinese_chars = chinese;
        t->normalizer->lowercase = lower;
        t->normalizer->strip_accents = strip < 0 ? lower : strip;
        t->pretokenizer->type = OM_PRE_BERT;
        t->decoder->type = OM_DEC_WORDPIECE;
        t->decoder->cleanup = 1;
        if (!(t->decoder->prefix = om_strdup("##"))) st = om_fail(err, OPENMED_ERR_NO_MEMORY, "tokenizer");
    }
    /* the special tokens become special added tokens, in the order BertTokenizer registers them */
    for (int i = 0; !st && i < 5; i++) {
        int32_t id = om_vocab_get(&t->model.vocab, names[i], strlen(names[i]));
        if (id >= 0) st = add_token(&t->added, names[i], id, 1, 0, err);
    }
    /* tokens added to older models: added_tokens.json ({"token": id}), not special, normalized */
    char *extra = NULL;
    if (!st) st = read_optional(dir, "added_tokens.json", &extra, err);
    if (!st && extra) {
        cJSON *a = om_json_parse(extra, strlen(extra), NULL, &oom);
        const cJSON *e;
        if (oom) st = om_fail(err, OPENMED_ERR_NO_MEMORY, "%s/added_tokens.json: out of memory parsing it", dir);
        else if (!cJSON_IsObject(a)) st = om_fail(err, OPENMED_ERR_FORMAT, "%s/added_tokens.json: malformed JSON", dir);
        cJSON_ArrayForEach(e, a) {
            if (st) break;
            if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble >= OM_MAX_TOKEN_ID)
                st = om_fail(err, OPENMED_ERR_FORMAT, "%s/added_tokens.json: bad id for \"%.64s\"", dir, e->string);
            else if (om_utf8_validate(e->string, strlen(e->string)) != strlen(e->string))
                st = om_fail(err, OPENMED_ERR_FORMAT, "%s/added_tokens.json: a token is not UTF-8", dir);
            else if (om_tokenizer_token_to_id(t, e->string) < 0 || om_tokenizer_token_to_id(t, e->string) != (int32_t)e->valuedouble)
                st = add_token(&t->added, e->string, (int32_t)e->valuedouble, 0, 1, err);
        }
        cJSON_Delete(a);
    }
    free(extra);
    if (!st) {
        int32_t cls = om_vocab_get(&t->model.vocab, names[3], strlen(names[3]));
        int32_t sep = om_vocab_get(&t->model.vocab, names[1], strlen(names[1]));
        if (cls < 0 || sep < 0) st = om_fail(err, OPENMED_ERR_FORMAT, "%s: vocab.txt has no %s or %s token", dir, names[3], names[1]);
        else {
            om_postprocessor *p = t->postprocessor;
            p->type = OM_POST_BERT;
            p->single = calloc(3, sizeof *p->single);
            if (!p->single) st = om_fail(err, OPENMED_ERR_NO_MEMORY, "tokenizer");
            else {
                p->nsingle = 3;
                p->single[1].is_sequence = 1;
                int32_t ids[2] = {cls, sep};
                const char *nm[2] = {names[3], names[1]};
                for (int q = 0; q < 2 && !st; q++) {
                    om_template_piece *pc = &p->single[q * 2];
                    pc->count = 1;
                    pc->ids = malloc(sizeof *pc->ids);
                    pc->tokens = calloc(1, sizeof *pc->tokens);
                    if (!pc->ids || !pc->tokens || !(pc->tokens[0] = om_strdup(nm[q]))) st = om_fail(err, OPENMED_ERR_NO_MEMORY, "tokenizer");
                    else pc->ids[0] = ids[q];
                }
            }
        }
    }
    if (!st) st = prepare_added(t, err);
    if (!st) {
        t->special_ids[OM_SPECIAL_UNK] = om_tokenizer_token_to_id(t, names[0]);
        t->special_ids[OM_SPECIAL_SEP] = om_tokenizer_token_to_id(t, names[1]);
        t->special_ids[OM_SPECIAL_PAD] = om_tokenizer_token_to_id(t, names[2]);
        t->special_ids[OM_SPECIAL_CLS] = om_tokenizer_token_to_id(t, names[3]);
        t->special_ids[OM_SPECIAL_MASK] = om_tokenizer_token_to_id(t, names[4]);
        t->clean_up_tokenization_spaces = 1;
        if (config) st = om_tokenizer_apply_config(t, config, "tokenizer_config.json", err);
    }
    cJSON_Delete(c);
    if (st) { om_tokenizer_free(t); return st; }
    *out = t;
    return OPENMED_OK;
}

openmed_status om_tokenizer_load_dir(const char *dir, om_tokenizer **out, openmed_error *err) {
    *out = NULL;
    if (!dir || !om_dir_exists(dir)) return om_fail(err, OPENMED_ERR_NOT_FOUND, "%s: not a folder", dir ? dir : "(null)");
    char *config = NULL, *map = NULL, *json = NULL;
    openmed_status st = read_optional(dir, "tokenizer_config.json", &config, err);
    if (!st) st = read_optional(dir, "special_tokens_map.json", &map, err);
    if (!st) st = read_optional(dir, "tokenizer.json", &json, err);
    if (!st) {
        char path[OPENMED_PATH_MAX];
        if (json) {
            om_path_join(path, sizeof path, dir, "tokenizer.json", NULL);
            st = om_tokenizer_load_json(json, strlen(json), NULL, path, out, err);
        } else {
            char vocab[OPENMED_PATH_MAX];
            om_path_join(vocab, sizeof vocab, dir, "vocab.txt", NULL);
            if (om_file_exists(vocab)) st = load_vocab_txt(dir, config, out, err);
            else {
                /* SentencePiece-only folders (spm.model, sentencepiece.bpe.model) need a tokenizer.json */
                const char *spm[] = {"spm.model", "sentencepiece.bpe.model", "tokenizer.model"};
                const char *found = NULL;
                for (int i = 0; i < 3 && !found; i++) {
                    char p[OPENMED_PATH_MAX];
                    if (om_path_join(p, sizeof p, dir, spm[i], NULL) == OPENMED_OK && om_file_exists(p)) found = spm[i];
                }
                if (found)
                    st = om_fail(err, OPENMED_ERR_UNSUPPORTED,
                                 "%s: only a SentencePiece %s, no tokenizer.json; save the tokenizer once with "
                                 "transformers (AutoTokenizer.from_pretrained(...).save_pretrained(...)) to get one",
                                 dir, found);
                else st = om_fail(err, OPENMED_ERR_NOT_FOUND, "%s: no tokenizer.json or vocab.txt", dir);
            }
        }
        /* special_tokens_map.json first, then tokenizer_config.json wins where both name a role */
        if (!st && map) st = om_tokenizer_apply_config(*out, map, "special_tokens_map.json", err);
        if (!st && config) st = om_tokenizer_apply_config(*out, config, "tokenizer_config.json", err);
        if (st && *out) { om_tokenizer_free(*out); *out = NULL; }
        if (st) om_fail_prefix(err, st, "%s", dir);
    }
    free(config);
    free(map);
    free(json);
    return st;
}

/* ---------------------------------------------------------------- queries */

int64_t om_tokenizer_model_max_length(const om_tokenizer *tok) { return tok->model_max_length; }

size_t om_tokenizer_vocab_size(const om_tokenizer *tok) { return tok->id_space; }

const char *om_tokenizer_id_to_token(const om_tokenizer *tok, int32_t id) {
    for (size_t i = 0; i < tok->added.count; i++)
        if (tok->added.tokens[i].id == id) return tok->added.tokens[i].content;
    return om_vocab_str(&tok->model.vocab, id);
}

int32_t om_tokenizer_token_to_id(const om_tokenizer *tok, const char *token) {
    size_t n = strlen(token);
    for (size_t i = 0; i < tok->added.count; i++)
        if (tok->added.tokens[i].len == n && !memcmp(tok->added.tokens[i].content, token, n))
            return tok->added.tokens[i].id;
    return om_vocab_get(&tok->model.vocab, token, n);
}

int32_t om_tokenizer_special_id(const om_tokenizer *tok, om_special_role role) {
    if ((int)role < 0 || role >= OM_SPECIAL_ROLE_COUNT) return -1;
    return tok->special_ids[role];
}

int om_tokenizer_is_special(const om_tokenizer *tok, int32_t id) {
    for (size_t i = 0; i < tok->added.count; i++)
        if (tok->added.tokens[i].id == id && tok->added.tokens[i].special) return 1;
    return 0;
}

const char *om_tokenizer_continuing_subword_prefix(const om_tokenizer *tok) {
    if (tok->model.type != OM_MODEL_WORDPIECE && tok->model.type != OM_MODEL_BPE) return NULL;
    if (!tok->model.prefix || !tok->model.prefix[0]) return NULL;
    return tok->model.prefix;
}

/* ---------------------------------------------------------------- decoding */

openmed_status om_tokenizer_decode_tokens(const om_tokenizer *tok, const char *const *tokens, size_t count,
                                          char **out, openmed_error *err) {
    *out = NULL;
    char **t = calloc(count ? count : 1, sizeof *t);
    if (!t) return om_fail(err, OPENMED_ERR_NO_MEMORY, "decode");
    size_t n = count;
    int ok = 1;
    for (size_t i = 0; i < count && ok; i++) ok = (t[i] = om_strdup(tokens[i])) != NULL;
    if (ok && tok->decoder) ok = om_decoder_chain(tok->decoder, &t, &n);
    om_buf b = {0};
    if (ok) ok = om_buf_reserve(&b, 0);
    if (ok) b.data[0] = 0;
    for (size_t i = 0; i < n && ok; i++) {
        if (!tok->decoder && i > 0) ok = om_buf_append(&b, " ", 1);
        if (ok) ok = om_buf_append(&b, t[i], strlen(t[i]));
    }
    for (size_t i = 0; i < n; i++) free(t[i]);
    free(t);
    if (!ok) { om_buf_free(&b); return om_fail(err, OPENMED_ERR_NO_MEMORY, "decode"); }
    *out = b.data;
    return OPENMED_OK;
}

/* transformers' clean_up_tokenization. */
static void clean_up(char *s) {
    static const char *pairs[][2] = {{" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
                                     {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
    for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
        const char *from = pairs[p][0], *to = pairs[p][1];
        size_t fl = strlen(from), tl = strlen(to), w = 0, r = 0, n = strlen(s);
        while (r < n) {
            if (r + fl <= n && !memcmp(s + r, from, fl)) { memmove(s + w, to, tl); w += tl; r += fl; }
            else s[w++] = s[r++];
        }
        s[w] = 0;
    }
}

openmed_status om_tokenizer_decode(const om_tokenizer *tok, const int32_t *ids, size_t count, int skip_special_tokens,
                                   char **out, openmed_error *err) {
    *out = NULL;
    const char **t = calloc(count ? count : 1, sizeof *t);
    if (!t) return om_fail(err, OPENMED_ERR_NO_MEMORY, "decode");
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        const char *s = om_tokenizer_id_to_token(tok, ids[i]);
        if (!s) { free(t); return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "decode: unknown token id %d", (int)ids[i]); }
        if (skip_special_tokens && om_tokenizer_is_special(tok, ids[i])) continue;
        t[n++] = s;
    }
    openmed_status st = om_tokenizer_decode_tokens(tok, t, n, out, err);
    free(t);
    if (!st && tok->clean_up_tokenization_spaces) clean_up(*out);
    return st;
}
