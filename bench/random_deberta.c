/* random_deberta.c: writes a DeBERTa-v3-style token-classification model folder with seeded random
 * weights (config.json, model.safetensors, optionally a tokenizer copied from another folder), at any
 * size, for benchmarks and memory checks; streams tensors so even a 434M-parameter model needs no RAM.
 *
 * usage: random_deberta OUT_DIR [--hidden 768] [--layers 6] [--heads 12] [--intermediate 3072]
 *                               [--vocab 128100] [--buckets 256] [--max-pos 512] [--labels 9]
 *                               [--dtype F32|F16|BF16] [--round F16|BF16] [--seed 1]
 *                               [--tokenizer-from DIR] [--max-length 512]
 * --round: store F32 values that are exactly representable in F16/BF16 (the same values a --dtype
 * F16/BF16 folder with the same seed holds), so the two folders must give identical logits.
 * --max-length: model_max_length written into the copied tokenizer_config.json.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct spec {
    int hidden, layers, heads, inter, vocab, buckets, max_pos, labels, elem; /* elem: bytes per value */
    const char *dtype;
    const char *round; /* NULL, "F16" or "BF16" */
    uint64_t rng;
} spec;

typedef enum init_kind { INIT_NORMAL, INIT_ONES, INIT_SMALL } init_kind;

typedef struct tensor {
    char name[128];
    int64_t rows, cols; /* cols == 0: a vector of rows values */
    init_kind init;
} tensor;

static double uniform(spec *s) { /* xorshift64*, (0, 1) */
    s->rng ^= s->rng >> 12;
    s->rng ^= s->rng << 25;
    s->rng ^= s->rng >> 27;
    return ((double)((s->rng * 2685821657736338717ull) >> 11) + 0.5) / 9007199254740992.0;
}

static float sample(spec *s, init_kind k) {
    double n = sqrt(-2.0 * log(uniform(s))) * cos(6.283185307179586 * uniform(s));
    return k == INIT_ONES ? (float)(1.0 + 0.05 * n) : k == INIT_SMALL ? (float)(0.02 * n) : (float)(0.05 * n);
}

static uint16_t to_half(float v, const char *dtype) {
    uint32_t bits;
    memcpy(&bits, &v, 4);
    uint16_t h;
    if (strcmp(dtype, "BF16") == 0) {
        h = (uint16_t)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16); /* round to nearest even */
    } else { /* F16, values here are small and normal enough: round to nearest */
        uint32_t sign = (bits >> 16) & 0x8000;
        int exp = (int)((bits >> 23) & 0xFF) - 127 + 15;
        uint32_t man = bits & 0x7FFFFF;
        if (exp <= 0) {
            h = (uint16_t)sign; /* flush tiny values to zero */
        } else if (exp >= 31) {
            h = (uint16_t)(sign | 0x7BFF);
        } else {
            uint32_t r = (uint32_t)(exp << 10) | (man >> 13);
            if ((man & 0x1FFF) > 0x1000 || ((man & 0x1FFF) == 0x1000 && (r & 1))) r++;
            h = (uint16_t)(sign | r);
        }
    }
    return h;
}

static float from_half(uint16_t h, const char *dtype) {
    uint32_t bits = (uint32_t)h << 16;
    if (strcmp(dtype, "F16") == 0) { /* normal numbers and zero only, as to_half writes */
        uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1F, man = h & 0x3FF;
        bits = exp ? sign | ((exp - 15 + 127) << 23) | (man << 13) : sign;
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static void put_value(unsigned char *dst, float v, const spec *s) {
    if (s->elem == 4) {
        if (s->round) v = from_half(to_half(v, s->round), s->round);
        memcpy(dst, &v, 4);
        return;
    }
    uint16_t h = to_half(v, s->dtype);
    memcpy(dst, &h, 2);
}

static int add(tensor *t, int *n, int64_t rows, int64_t cols, init_kind init, const char *fmt, int layer) {
    snprintf(t[*n].name, sizeof t[*n].name, fmt, layer);
    t[*n].rows = rows;
    t[*n].cols = cols;
    t[*n].init = init;
    return (*n)++;
}

static int list_tensors(const spec *s, tensor *t) {
    int n = 0;
    const int D = s->hidden, I = s->inter;
    add(t, &n, s->vocab, D, INIT_NORMAL, "deberta.embeddings.word_embeddings.weight", 0);
    add(t, &n, D, 0, INIT_ONES, "deberta.embeddings.LayerNorm.weight", 0);
    add(t, &n, D, 0, INIT_SMALL, "deberta.embeddings.LayerNorm.bias", 0);
    add(t, &n, 2 * s->buckets, D, INIT_NORMAL, "deberta.encoder.rel_embeddings.weight", 0);
    add(t, &n, D, 0, INIT_ONES, "deberta.encoder.LayerNorm.weight", 0);
    add(t, &n, D, 0, INIT_SMALL, "deberta.encoder.LayerNorm.bias", 0);
    static const char *proj[] = {"query_proj", "key_proj", "value_proj"};
    for (int l = 0; l < s->layers; l++) {
        char fmt[160];
        for (int p = 0; p < 3; p++) {
            snprintf(fmt, sizeof fmt, "deberta.encoder.layer.%%d.attention.self.%s.weight", proj[p]);
            add(t, &n, D, D, INIT_NORMAL, fmt, l);
            snprintf(fmt, sizeof fmt, "deberta.encoder.layer.%%d.attention.self.%s.bias", proj[p]);
            add(t, &n, D, 0, INIT_SMALL, fmt, l);
        }
        add(t, &n, D, D, INIT_NORMAL, "deberta.encoder.layer.%d.attention.output.dense.weight", l);
        add(t, &n, D, 0, INIT_SMALL, "deberta.encoder.layer.%d.attention.output.dense.bias", l);
        add(t, &n, D, 0, INIT_ONES, "deberta.encoder.layer.%d.attention.output.LayerNorm.weight", l);
        add(t, &n, D, 0, INIT_SMALL, "deberta.encoder.layer.%d.attention.output.LayerNorm.bias", l);
        add(t, &n, I, D, INIT_NORMAL, "deberta.encoder.layer.%d.intermediate.dense.weight", l);
        add(t, &n, I, 0, INIT_SMALL, "deberta.encoder.layer.%d.intermediate.dense.bias", l);
        add(t, &n, D, I, INIT_NORMAL, "deberta.encoder.layer.%d.output.dense.weight", l);
        add(t, &n, D, 0, INIT_SMALL, "deberta.encoder.layer.%d.output.dense.bias", l);
        add(t, &n, D, 0, INIT_ONES, "deberta.encoder.layer.%d.output.LayerNorm.weight", l);
        add(t, &n, D, 0, INIT_SMALL, "deberta.encoder.layer.%d.output.LayerNorm.bias", l);
    }
    add(t, &n, s->labels, D, INIT_NORMAL, "classifier.weight", 0);
    add(t, &n, s->labels, 0, INIT_SMALL, "classifier.bias", 0);
    return n;
}

static int write_safetensors(const char *path, spec *s) {
    int max_tensors = 8 + 16 * s->layers;
    tensor *t = calloc((size_t)max_tensors, sizeof *t);
    int n = list_tensors(s, t);
    size_t cap = (size_t)n * 256 + 64, len = 0;
    char *header = malloc(cap);
    uint64_t offset = 0;
    len += (size_t)snprintf(header + len, cap - len, "{");
    for (int i = 0; i < n; i++) {
        uint64_t count = (uint64_t)t[i].rows * (uint64_t)(t[i].cols ? t[i].cols : 1);
        uint64_t bytes = count * (uint64_t)s->elem;
        if (t[i].cols)
            len += (size_t)snprintf(header + len, cap - len, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[%lld,%lld],"
                                    "\"data_offsets\":[%llu,%llu]}", i ? "," : "", t[i].name, s->dtype,
                                    (long long)t[i].rows, (long long)t[i].cols, (unsigned long long)offset,
                                    (unsigned long long)(offset + bytes));
        else
            len += (size_t)snprintf(header + len, cap - len, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[%lld],"
                                    "\"data_offsets\":[%llu,%llu]}", i ? "," : "", t[i].name, s->dtype,
                                    (long long)t[i].rows, (unsigned long long)offset,
                                    (unsigned long long)(offset + bytes));
        offset += bytes;
    }
    len += (size_t)snprintf(header + len, cap - len, "}");
    while ((len + 8) % 8) header[len++] = ' '; /* keep the data 8-byte aligned */
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "random_deberta: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    unsigned char hl[8];
    for (int i = 0; i < 8; i++) hl[i] = (unsigned char)((uint64_t)len >> (8 * i));
    fwrite(hl, 1, 8, f);
    fwrite(header, 1, len, f);
    unsigned char buf[1 << 16];
    for (int i = 0; i < n; i++) {
        uint64_t count = (uint64_t)t[i].rows * (uint64_t)(t[i].cols ? t[i].cols : 1), done = 0;
        while (done < count) {
            size_t chunk = 0;
            while (chunk + (size_t)s->elem <= sizeof buf && done < count) {
                put_value(buf + chunk, sample(s, t[i].init), s);
                chunk += (size_t)s->elem;
                done++;
            }
            fwrite(buf, 1, chunk, f);
        }
    }
    int bad = ferror(f);
    if (fclose(f) || bad) {
        fprintf(stderr, "random_deberta: writing %s failed\n", path);
        return -1;
    }
    printf("wrote %s: %d tensors, %.1f MB of weights (%s)\n", path, n, offset / 1e6, s->dtype);
    free(header);
    free(t);
    return 0;
}

static int write_config(const char *path, const spec *s) {
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fprintf(f, "{\n  \"architectures\": [\"DebertaV2ForTokenClassification\"],\n  \"model_type\": \"deberta-v2\",\n");
    fprintf(f, "  \"hidden_size\": %d,\n  \"num_hidden_layers\": %d,\n  \"num_attention_heads\": %d,\n", s->hidden,
            s->layers, s->heads);
    fprintf(f, "  \"intermediate_size\": %d,\n  \"vocab_size\": %d,\n  \"max_position_embeddings\": %d,\n", s->inter,
            s->vocab, s->max_pos);
    fprintf(f, "  \"hidden_act\": \"gelu\",\n  \"layer_norm_eps\": 1e-07,\n  \"pad_token_id\": 0,\n");
    fprintf(f, "  \"relative_attention\": true,\n  \"position_buckets\": %d,\n  \"max_relative_positions\": -1,\n",
            s->buckets);
    fprintf(f, "  \"pos_att_type\": [\"p2c\", \"c2p\"],\n  \"share_att_key\": true,\n  \"norm_rel_ebd\": \"layer_norm\",\n");
    fprintf(f, "  \"position_biased_input\": false,\n  \"type_vocab_size\": 0,\n  \"id2label\": {");
    for (int i = 0; i < s->labels; i++) fprintf(f, "%s\"%d\": \"%s%d\"", i ? ", " : "", i, i ? "B-L" : "O", i);
    fprintf(f, "}\n}\n");
    return fclose(f);
}

/* Copy from_dir/name to to_dir/name; max_length > 0 rewrites a "model_max_length" value. */
static int copy_file(const char *from_dir, const char *name, const char *to_dir, int max_length) {
    char src[4096], dst[4096];
    snprintf(src, sizeof src, "%s/%s", from_dir, name);
    snprintf(dst, sizeof dst, "%s/%s", to_dir, name);
    FILE *in = fopen(src, "rb"), *out = in ? fopen(dst, "wb") : NULL;
    if (!in || !out) {
        fprintf(stderr, "random_deberta: cannot copy %s to %s\n", src, dst);
        if (in) fclose(in);
        return -1;
    }
    static char buf[1 << 24];
    size_t got = fread(buf, 1, sizeof buf - 1, in);
    buf[got] = 0;
    fclose(in);
    char *key = max_length > 0 ? strstr(buf, "\"model_max_length\"") : NULL;
    if (key) {
        char *colon = strchr(key, ':'), *end = colon ? colon + 1 : NULL;
        while (end && *end && strchr(" \t0123456789.eE+-", *end)) end++;
        if (colon) {
            fwrite(buf, 1, (size_t)(colon + 1 - buf), out);
            fprintf(out, " %d", max_length);
            fwrite(end, 1, got - (size_t)(end - buf), out);
            return fclose(out);
        }
    }
    fwrite(buf, 1, got, out);
    return fclose(out);
}

int main(int argc, char **argv) {
    spec s = {768, 6, 12, 3072, 128100, 256, 512, 9, 4, "F32", NULL, 1};
    const char *out = NULL, *tok = NULL;
    int max_length = 512;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int *target = !strcmp(a, "--hidden") ? &s.hidden : !strcmp(a, "--layers") ? &s.layers
                      : !strcmp(a, "--heads") ? &s.heads : !strcmp(a, "--intermediate") ? &s.inter
                      : !strcmp(a, "--vocab") ? &s.vocab : !strcmp(a, "--buckets") ? &s.buckets
                      : !strcmp(a, "--max-pos") ? &s.max_pos : !strcmp(a, "--labels") ? &s.labels
                      : !strcmp(a, "--max-length") ? &max_length : NULL;
        if (target && v) {
            *target = atoi(v);
            i++;
        } else if (!strcmp(a, "--seed") && v) {
            s.rng = strtoull(v, NULL, 10) * 0x9E3779B97F4A7C15ull + 1;
            i++;
        } else if (!strcmp(a, "--dtype") && v) {
            s.dtype = !strcmp(v, "F16") ? "F16" : !strcmp(v, "BF16") ? "BF16" : "F32";
            s.elem = strcmp(s.dtype, "F32") ? 2 : 4;
            i++;
        } else if (!strcmp(a, "--round") && v) {
            s.round = !strcmp(v, "F16") ? "F16" : !strcmp(v, "BF16") ? "BF16" : NULL;
            i++;
        } else if (!strcmp(a, "--tokenizer-from") && v) {
            tok = v;
            i++;
        } else if (a[0] != '-' && !out) {
            out = a;
        } else {
            fprintf(stderr, "random_deberta: bad argument %s (see the usage at the top of bench/random_deberta.c)\n", a);
            return 2;
        }
    }
    if (!out || s.hidden <= 0 || s.layers <= 0 || s.heads <= 0 || s.hidden % s.heads || s.inter <= 0 || s.vocab <= 0 ||
        s.buckets <= 0 || s.labels <= 0) {
        fprintf(stderr, "usage: random_deberta OUT_DIR [--hidden N] [--layers N] [--heads N] [--intermediate N] "
                        "[--vocab N] [--buckets N] [--max-pos N] [--labels N] [--dtype F32|F16|BF16] "
                        "[--round F16|BF16] [--seed N] [--tokenizer-from DIR] [--max-length N]\n");
        return 2;
    }
    if (mkdir(out, 0755) && errno != EEXIST) {
        fprintf(stderr, "random_deberta: cannot create %s: %s\n", out, strerror(errno));
        return 1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", out);
    if (write_config(path, &s)) return 1;
    snprintf(path, sizeof path, "%s/model.safetensors", out);
    if (write_safetensors(path, &s)) return 1;
    if (tok && (copy_file(tok, "tokenizer.json", out, 0) || copy_file(tok, "tokenizer_config.json", out, max_length)))
        return 1;
    return 0;
}
