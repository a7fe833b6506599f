/* tiny_model.h: writes a complete, loadable BERT token-classification folder small enough that
 * every allocation of its load, every byte of its checkpoint, can be failed or cut in turn
 * (vocabulary 16, hidden 4, one layer, 3 labels: config.json, tokenizer.json,
 * tokenizer_config.json, model.safetensors of deterministic F32 values). */
#ifndef OM_TESTS_TINY_MODEL_H
#define OM_TESTS_TINY_MODEL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define TINY_HIDDEN 4
#define TINY_INTER 8
#define TINY_VOCAB 16
#define TINY_POS 16
#define TINY_LABELS 3

static const char tiny_config_json[] =
    "{\"architectures\": [\"BertForTokenClassification\"], \"model_type\": \"bert\", \"hidden_act\": \"gelu\",\n"
    " \"hidden_size\": 4, \"intermediate_size\": 8, \"num_attention_heads\": 2, \"num_hidden_layers\": 1,\n"
    " \"max_position_embeddings\": 16, \"type_vocab_size\": 2, \"vocab_size\": 16, \"layer_norm_eps\": 1e-12,\n"
    " \"pad_token_id\": 0, \"id2label\": {\"0\": \"O\", \"1\": \"B-DISEASE\", \"2\": \"I-DISEASE\"},\n"
    " \"label2id\": {\"O\": 0, \"B-DISEASE\": 1, \"I-DISEASE\": 2}}\n";

static const char tiny_tokenizer_json[] =
    "{\"version\": \"1.0\", \"truncation\": null, \"padding\": null, \"added_tokens\": ["
    "{\"id\": 0, \"content\": \"[PAD]\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, "
    "\"normalized\": false, \"special\": true},"
    "{\"id\": 1, \"content\": \"[UNK]\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, "
    "\"normalized\": false, \"special\": true},"
    "{\"id\": 2, \"content\": \"[CLS]\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, "
    "\"normalized\": false, \"special\": true},"
    "{\"id\": 3, \"content\": \"[SEP]\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, "
    "\"normalized\": false, \"special\": true},"
    "{\"id\": 4, \"content\": \"[MASK]\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, "
    "\"normalized\": false, \"special\": true}],"
    "\"normalizer\": {\"type\": \"BertNormalizer\", \"clean_text\": true, \"handle_chinese_chars\": true, "
    "\"strip_accents\": null, \"lowercase\": true},"
    "\"pre_tokenizer\": {\"type\": \"BertPreTokenizer\"},"
    "\"post_processor\": {\"type\": \"TemplateProcessing\","
    "\"single\": [{\"SpecialToken\": {\"id\": \"[CLS]\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}, "
    "{\"SpecialToken\": {\"id\": \"[SEP]\", \"type_id\": 0}}],"
    "\"pair\": [{\"SpecialToken\": {\"id\": \"[CLS]\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}, "
    "{\"SpecialToken\": {\"id\": \"[SEP]\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"B\", \"type_id\": 1}}, "
    "{\"SpecialToken\": {\"id\": \"[SEP]\", \"type_id\": 1}}],"
    "\"special_tokens\": {\"[CLS]\": {\"id\": \"[CLS]\", \"ids\": [2], \"tokens\": [\"[CLS]\"]}, "
    "\"[SEP]\": {\"id\": \"[SEP]\", \"ids\": [3], \"tokens\": [\"[SEP]\"]}}},"
    "\"decoder\": {\"type\": \"WordPiece\", \"prefix\": \"##\", \"cleanup\": true},"
    "\"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\", \"continuing_subword_prefix\": \"##\", "
    "\"max_input_chars_per_word\": 100, \"vocab\": {\"[PAD]\": 0, \"[UNK]\": 1, \"[CLS]\": 2, \"[SEP]\": 3, "
    "\"[MASK]\": 4, \"the\": 5, \"patient\": 6, \"has\": 7, \"fever\": 8, \"##s\": 9, \"cystic\": 10, "
    "\"fibrosis\": 11, \".\": 12, \"a\": 13, \"##b\": 14, \"no\": 15}}}\n";

static const char tiny_tokenizer_config_json[] =
    "{\"model_max_length\": 16, \"cls_token\": \"[CLS]\", \"sep_token\": \"[SEP]\", \"pad_token\": \"[PAD]\", "
    "\"unk_token\": \"[UNK]\", \"mask_token\": \"[MASK]\"}\n";

typedef struct tiny_tensor {
    const char *name;
    int rows, cols; /* cols 0: a vector of `rows` */
    int kind;       /* 0: small deterministic values, 1: ones (LayerNorm weight), 2: zeros */
} tiny_tensor;

static const tiny_tensor tiny_tensors[] = {
    {"bert.embeddings.word_embeddings.weight", TINY_VOCAB, TINY_HIDDEN, 0},
    {"bert.embeddings.position_embeddings.weight", TINY_POS, TINY_HIDDEN, 0},
    {"bert.embeddings.token_type_embeddings.weight", 2, TINY_HIDDEN, 0},
    {"bert.embeddings.LayerNorm.weight", TINY_HIDDEN, 0, 1},
    {"bert.embeddings.LayerNorm.bias", TINY_HIDDEN, 0, 2},
    {"bert.encoder.layer.0.attention.self.query.weight", TINY_HIDDEN, TINY_HIDDEN, 0},
    {"bert.encoder.layer.0.attention.self.query.bias", TINY_HIDDEN, 0, 0},
    {"bert.encoder.layer.0.attention.self.key.weight", TINY_HIDDEN, TINY_HIDDEN, 0},
    {"bert.encoder.layer.0.attention.self.key.bias", TINY_HIDDEN, 0, 0},
    {"bert.encoder.layer.0.attention.self.value.weight", TINY_HIDDEN, TINY_HIDDEN, 0},
    {"bert.encoder.layer.0.attention.self.value.bias", TINY_HIDDEN, 0, 0},
    {"bert.encoder.layer.0.attention.output.dense.weight", TINY_HIDDEN, TINY_HIDDEN, 0},
    {"bert.encoder.layer.0.attention.output.dense.bias", TINY_HIDDEN, 0, 0},
    {"bert.encoder.layer.0.attention.output.LayerNorm.weight", TINY_HIDDEN, 0, 1},
    {"bert.encoder.layer.0.attention.output.LayerNorm.bias", TINY_HIDDEN, 0, 2},
    {"bert.encoder.layer.0.intermediate.dense.weight", TINY_INTER, TINY_HIDDEN, 0},
    {"bert.encoder.layer.0.intermediate.dense.bias", TINY_INTER, 0, 0},
    {"bert.encoder.layer.0.output.dense.weight", TINY_HIDDEN, TINY_INTER, 0},
    {"bert.encoder.layer.0.output.dense.bias", TINY_HIDDEN, 0, 0},
    {"bert.encoder.layer.0.output.LayerNorm.weight", TINY_HIDDEN, 0, 1},
    {"bert.encoder.layer.0.output.LayerNorm.bias", TINY_HIDDEN, 0, 2},
    {"classifier.weight", TINY_LABELS, TINY_HIDDEN, 0},
    {"classifier.bias", TINY_LABELS, 0, 0},
};

static int tiny_write_file(const char *dir, const char *name, const void *data, size_t size) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int ok = fwrite(data, 1, size, f) == size;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* model.safetensors into buf (at most `cap` bytes); returns its size, 0 if it does not fit. */
static size_t tiny_safetensors(unsigned char *buf, size_t cap) {
    char header[4096];
    size_t hl = 0, offset = 0, n = sizeof tiny_tensors / sizeof tiny_tensors[0];
    hl += (size_t)snprintf(header + hl, sizeof header - hl, "{\"__metadata__\":{\"format\":\"pt\"}");
    for (size_t i = 0; i < n; i++) {
        const tiny_tensor *t = &tiny_tensors[i];
        size_t bytes = 4 * (size_t)t->rows * (size_t)(t->cols ? t->cols : 1);
        if (t->cols)
            hl += (size_t)snprintf(header + hl, sizeof header - hl,
                                   ",\"%s\":{\"dtype\":\"F32\",\"shape\":[%d,%d],\"data_offsets\":[%zu,%zu]}", t->name,
                                   t->rows, t->cols, offset, offset + bytes);
        else
            hl += (size_t)snprintf(header + hl, sizeof header - hl,
                                   ",\"%s\":{\"dtype\":\"F32\",\"shape\":[%d],\"data_offsets\":[%zu,%zu]}", t->name,
                                   t->rows, offset, offset + bytes);
        offset += bytes;
    }
    hl += (size_t)snprintf(header + hl, sizeof header - hl, "}");
    while (hl % 8) header[hl++] = ' '; /* data 8-byte aligned, as the reference writer does */
    if (8 + hl + offset > cap) return 0;
    for (int b = 0; b < 8; b++) buf[b] = (unsigned char)((uint64_t)hl >> (8 * b));
    memcpy(buf + 8, header, hl);
    unsigned char *p = buf + 8 + hl;
    for (size_t i = 0; i < n; i++) {
        const tiny_tensor *t = &tiny_tensors[i];
        size_t count = (size_t)t->rows * (size_t)(t->cols ? t->cols : 1);
        for (size_t k = 0; k < count; k++) {
            float v = t->kind == 1 ? 1.0f : t->kind == 2 ? 0.0f : 0.2f * (float)sin(0.37 * (double)(k + 7 * i) + 1.0);
            memcpy(p, &v, 4);
            p += 4;
        }
    }
    return 8 + hl + offset;
}

/* The whole folder at `dir` (created). 0 on success. */
static int tiny_model_write(const char *dir) {
    static unsigned char st[16384];
    size_t n = tiny_safetensors(st, sizeof st);
    mkdir(dir, 0755);
    return !n || tiny_write_file(dir, "config.json", tiny_config_json, strlen(tiny_config_json)) ||
                   tiny_write_file(dir, "tokenizer.json", tiny_tokenizer_json, strlen(tiny_tokenizer_json)) ||
                   tiny_write_file(dir, "tokenizer_config.json", tiny_tokenizer_config_json,
                                   strlen(tiny_tokenizer_config_json)) ||
                   tiny_write_file(dir, "model.safetensors", st, n)
               ? -1
               : 0;
}

#endif
