/* make_random_bert.c: writes a bert-base-sized random token-classification model folder
 * (config.json + float32 model.safetensors, HF tensor names) for engine benchmarks.
 * Usage: make_random_bert OUT_DIR [layers hidden heads intermediate vocab labels] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct spec {
    char name[128];
    int64_t rows, cols; /* cols 0 = 1-D */
    float fill;         /* 0 = random, else constant (LayerNorm gamma) */
} spec;

static spec specs[1024];
static int n_specs;

static void add(const char *name, int64_t rows, int64_t cols, float fill) {
    spec *s = &specs[n_specs++];
    snprintf(s->name, sizeof s->name, "%s", name);
    s->rows = rows;
    s->cols = cols;
    s->fill = fill;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static float next_uniform(void) { /* xorshift64*, uniform in [-0.035, 0.035): std ~0.02 */
    rng ^= rng >> 12, rng ^= rng << 25, rng ^= rng >> 27;
    uint64_t r = rng * 2685821657736338717ull;
    return ((float)(r >> 40) / (float)(1 << 24) - 0.5f) * 0.07f;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s OUT_DIR [layers hidden heads intermediate vocab labels]\n", argv[0]);
        return 2;
    }
    int L = argc > 2 ? atoi(argv[2]) : 12, H = argc > 3 ? atoi(argv[3]) : 768, A = argc > 4 ? atoi(argv[4]) : 12;
    int I = argc > 5 ? atoi(argv[5]) : 3072, V = argc > 6 ? atoi(argv[6]) : 30522, C = argc > 7 ? atoi(argv[7]) : 9;
    mkdir(argv[1], 0755);
    char path[4096], name[128];
    add("bert.embeddings.word_embeddings.weight", V, H, 0);
    add("bert.embeddings.position_embeddings.weight", 512, H, 0);
    add("bert.embeddings.token_type_embeddings.weight", 2, H, 0);
    add("bert.embeddings.LayerNorm.weight", H, 0, 1);
    add("bert.embeddings.LayerNorm.bias", H, 0, 0);
    for (int l = 0; l < L; l++) {
        const char *lin[][3] = {{"attention.self.query", "H", "H"},     {"attention.self.key", "H", "H"},
                                {"attention.self.value", "H", "H"},     {"attention.output.dense", "H", "H"},
                                {"intermediate.dense", "I", "H"},       {"output.dense", "H", "I"}};
        for (int k = 0; k < 6; k++) {
            int64_t r = lin[k][1][0] == 'I' ? I : H, c = lin[k][2][0] == 'I' ? I : H;
            snprintf(name, sizeof name, "bert.encoder.layer.%d.%s.weight", l, lin[k][0]);
            add(name, r, c, 0);
            snprintf(name, sizeof name, "bert.encoder.layer.%d.%s.bias", l, lin[k][0]);
            add(name, r, 0, 0);
        }
        snprintf(name, sizeof name, "bert.encoder.layer.%d.attention.output.LayerNorm.weight", l);
        add(name, H, 0, 1);
        snprintf(name, sizeof name, "bert.encoder.layer.%d.attention.output.LayerNorm.bias", l);
        add(name, H, 0, 0);
        snprintf(name, sizeof name, "bert.encoder.layer.%d.output.LayerNorm.weight", l);
        add(name, H, 0, 1);
        snprintf(name, sizeof name, "bert.encoder.layer.%d.output.LayerNorm.bias", l);
        add(name, H, 0, 0);
    }
    add("classifier.weight", C, H, 0);
    add("classifier.bias", C, 0, 0);

    size_t cap = (size_t)n_specs * 200 + 64, at = 0;
    char *header = malloc(cap);
    at += (size_t)snprintf(header + at, cap - at, "{");
    uint64_t offset = 0;
    for (int i = 0; i < n_specs; i++) {
        uint64_t bytes = (uint64_t)specs[i].rows * (uint64_t)(specs[i].cols ? specs[i].cols : 1) * 4;
        if (specs[i].cols)
            at += (size_t)snprintf(header + at, cap - at, "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[%lld,%lld],",
                                   i ? "," : "", specs[i].name, (long long)specs[i].rows, (long long)specs[i].cols);
        else
            at += (size_t)snprintf(header + at, cap - at, "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[%lld],",
                                   i ? "," : "", specs[i].name, (long long)specs[i].rows);
        at += (size_t)snprintf(header + at, cap - at, "\"data_offsets\":[%llu,%llu]}", (unsigned long long)offset,
                               (unsigned long long)(offset + bytes));
        offset += bytes;
    }
    at += (size_t)snprintf(header + at, cap - at, "}");
    while (at % 8) header[at++] = ' ';
    snprintf(path, sizeof path, "%s/model.safetensors", argv[1]);
    FILE *f = fopen(path, "wb");
    if (!f) return 1;
    uint64_t n = at;
    fwrite(&n, 8, 1, f); /* little-endian host */
    fwrite(header, 1, at, f);
    float buf[4096];
    for (int i = 0; i < n_specs; i++) {
        int64_t count = specs[i].rows * (specs[i].cols ? specs[i].cols : 1);
        while (count > 0) {
            int chunk = count > 4096 ? 4096 : (int)count;
            for (int k = 0; k < chunk; k++) buf[k] = specs[i].fill != 0 ? specs[i].fill : next_uniform();
            fwrite(buf, 4, (size_t)chunk, f);
            count -= chunk;
        }
    }
    fclose(f);
    snprintf(path, sizeof path, "%s/config.json", argv[1]);
    f = fopen(path, "w");
    fprintf(f,
            "{\"architectures\":[\"BertForTokenClassification\"],\"model_type\":\"bert\",\"hidden_act\":\"gelu\","
            "\"hidden_size\":%d,\"num_hidden_layers\":%d,\"num_attention_heads\":%d,\"intermediate_size\":%d,"
            "\"vocab_size\":%d,\"max_position_embeddings\":512,\"type_vocab_size\":2,\"layer_norm_eps\":1e-12,"
            "\"pad_token_id\":0,\"id2label\":{",
            H, L, A, I, V);
    for (int c = 0; c < C; c++) fprintf(f, "%s\"%d\":\"LABEL_%d\"", c ? "," : "", c, c);
    fprintf(f, "}}\n");
    fclose(f);
    free(header);
    return 0;
}
