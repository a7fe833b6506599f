/* random_privacy_filter.c: writes an OpenAI-Privacy-Filter-style model folder (config.json,
 * model.safetensors) with seeded random weights at any size, for benchmarks and memory checks;
 * tensors are streamed, so the full 1.4B-parameter shape needs no RAM. Defaults are the shape of
 * openai/privacy-filter (d 640, 8 layers, 14/2 heads of 64, 128 experts top 4, d_ff 640, 33 labels).
 *
 * usage: random_privacy_filter OUT_DIR [--hidden 640] [--layers 8] [--heads 14] [--kv-heads 2]
 *                              [--head-dim 64] [--experts 128] [--top-k 4] [--ff 640] [--vocab 200064]
 *                              [--window 128] [--dtype BF16|F32] [--seed 1]
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct spec {
    long hidden, layers, heads, kv, head_dim, experts, top_k, ff, vocab, window, labels;
    int bf16;
    uint64_t rng;
} spec;

typedef struct tensor {
    char name[128];
    long dims[3];
    int ndim;
    float scale; /* 0: ones; else normal(0, scale) */
} tensor;

static double uniform(spec *s) { /* xorshift64*, (0, 1) */
    s->rng ^= s->rng >> 12;
    s->rng ^= s->rng << 25;
    s->rng ^= s->rng >> 27;
    return ((double)((s->rng * 2685821657736338717ull) >> 11) + 0.5) / 9007199254740992.0;
}

static long numel(const tensor *t) {
    long n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->dims[i];
    return n;
}

static int add(tensor *ts, int n, float scale, int ndim, long a, long b, long c, const char *fmt, long layer) {
    snprintf(ts[n].name, sizeof ts[n].name, fmt, layer);
    ts[n].ndim = ndim;
    ts[n].dims[0] = a, ts[n].dims[1] = b, ts[n].dims[2] = c;
    ts[n].scale = scale;
    return n + 1;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: random_privacy_filter OUT_DIR [--hidden N] [--layers N] [--heads N] [--kv-heads N]\n"
                        "       [--head-dim N] [--experts N] [--top-k N] [--ff N] [--vocab N] [--window N]\n"
                        "       [--dtype BF16|F32] [--seed N]\n");
        return 2;
    }
    spec s = {640, 8, 14, 2, 64, 128, 4, 640, 200064, 128, 33, 1, 1};
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        long x = atol(v);
        if (!strcmp(k, "--hidden")) s.hidden = x;
        else if (!strcmp(k, "--layers")) s.layers = x;
        else if (!strcmp(k, "--heads")) s.heads = x;
        else if (!strcmp(k, "--kv-heads")) s.kv = x;
        else if (!strcmp(k, "--head-dim")) s.head_dim = x;
        else if (!strcmp(k, "--experts")) s.experts = x;
        else if (!strcmp(k, "--top-k")) s.top_k = x;
        else if (!strcmp(k, "--ff")) s.ff = x;
        else if (!strcmp(k, "--vocab")) s.vocab = x;
        else if (!strcmp(k, "--window")) s.window = x;
        else if (!strcmp(k, "--seed")) s.rng = (uint64_t)x * 0x9E3779B97F4A7C15ull + 1;
        else if (!strcmp(k, "--dtype")) s.bf16 = strcmp(v, "F32") != 0;
        else {
            fprintf(stderr, "random_privacy_filter: unknown option %s\n", k);
            return 2;
        }
    }
    mkdir(argv[1], 0755);
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", argv[1]);
    FILE *f = fopen(path, "w");
    if (!f) return perror(path), 1;
    static const char *cats[] = {"account_number", "private_address", "private_date", "private_email",
                                 "private_person", "private_phone", "private_url", "secret"};
    fprintf(f, "{\"architectures\": [\"OpenAIPrivacyFilterForTokenClassification\"], \"model_type\": \"openai_privacy_filter\",\n"
               " \"hidden_size\": %ld, \"num_hidden_layers\": %ld, \"num_attention_heads\": %ld, \"num_key_value_heads\": %ld,\n"
               " \"head_dim\": %ld, \"num_local_experts\": %ld, \"num_experts_per_tok\": %ld, \"intermediate_size\": %ld,\n"
               " \"vocab_size\": %ld, \"sliding_window\": %ld, \"rms_norm_eps\": 1e-05, \"max_position_embeddings\": 131072,\n"
               " \"rope_parameters\": {\"rope_type\": \"yarn\", \"factor\": 32.0, \"beta_fast\": 32.0, \"beta_slow\": 1.0,\n"
               "   \"original_max_position_embeddings\": 4096, \"rope_theta\": 150000.0, \"truncate\": false},\n"
               " \"id2label\": {\"0\": \"O\"",
            s.hidden, s.layers, s.heads, s.kv, s.head_dim, s.experts, s.top_k, s.ff, s.vocab, s.window);
    int id = 1;
    for (int c = 0; c < 8; c++)
        for (int p = 0; p < 4; p++) fprintf(f, ", \"%d\": \"%c-%s\"", id++, "BIES"[p], cats[c]);
    fprintf(f, "}}\n");
    fclose(f);

    long D = s.hidden, qd = s.heads * s.head_dim, kvd = s.kv * s.head_dim, E = s.experts, F = s.ff;
    tensor *ts = calloc((size_t)(s.layers * 20 + 8), sizeof *ts);
    int n = 0;
    n = add(ts, n, 0.02f, 2, s.vocab, D, 0, "model.embed_tokens.weight", 0);
    for (long l = 0; l < s.layers; l++) {
        n = add(ts, n, 0, 1, D, 0, 0, "model.layers.%ld.input_layernorm.weight", l);
        n = add(ts, n, 0.02f, 2, qd, D, 0, "model.layers.%ld.self_attn.q_proj.weight", l);
        n = add(ts, n, 0.02f, 1, qd, 0, 0, "model.layers.%ld.self_attn.q_proj.bias", l);
        n = add(ts, n, 0.02f, 2, kvd, D, 0, "model.layers.%ld.self_attn.k_proj.weight", l);
        n = add(ts, n, 0.02f, 1, kvd, 0, 0, "model.layers.%ld.self_attn.k_proj.bias", l);
        n = add(ts, n, 0.02f, 2, kvd, D, 0, "model.layers.%ld.self_attn.v_proj.weight", l);
        n = add(ts, n, 0.02f, 1, kvd, 0, 0, "model.layers.%ld.self_attn.v_proj.bias", l);
        n = add(ts, n, 0.02f, 2, D, qd, 0, "model.layers.%ld.self_attn.o_proj.weight", l);
        n = add(ts, n, 0.02f, 1, D, 0, 0, "model.layers.%ld.self_attn.o_proj.bias", l);
        n = add(ts, n, 0.5f, 1, s.heads, 0, 0, "model.layers.%ld.self_attn.sinks", l);
        n = add(ts, n, 0, 1, D, 0, 0, "model.layers.%ld.post_attention_layernorm.weight", l);
        n = add(ts, n, 0.02f, 2, E, D, 0, "model.layers.%ld.mlp.router.weight", l);
        n = add(ts, n, 0.02f, 1, E, 0, 0, "model.layers.%ld.mlp.router.bias", l);
        n = add(ts, n, 0.02f, 3, E, D, 2 * F, "model.layers.%ld.mlp.experts.gate_up_proj", l);
        n = add(ts, n, 0.02f, 2, E, 2 * F, 0, "model.layers.%ld.mlp.experts.gate_up_proj_bias", l);
        n = add(ts, n, 0.02f, 3, E, F, D, "model.layers.%ld.mlp.experts.down_proj", l);
        n = add(ts, n, 0.02f, 2, E, D, 0, "model.layers.%ld.mlp.experts.down_proj_bias", l);
    }
    n = add(ts, n, 0, 1, D, 0, 0, "model.norm.weight", 0);
    n = add(ts, n, 0.5f, 2, s.labels, D, 0, "score.weight", 0);
    n = add(ts, n, 0.02f, 1, s.labels, 0, 0, "score.bias", 0);

    size_t elem = s.bf16 ? 2 : 4, cap = 1 << 20, len = 0, off = 0;
    char *hdr = malloc(cap);
    len += (size_t)snprintf(hdr + len, cap - len, "{\"__metadata__\": {\"format\": \"pt\"}");
    for (int i = 0; i < n; i++) {
        size_t bytes = (size_t)numel(&ts[i]) * elem;
        len += (size_t)snprintf(hdr + len, cap - len, ", \"%s\": {\"dtype\": \"%s\", \"shape\": [%ld", ts[i].name,
                                s.bf16 ? "BF16" : "F32", ts[i].dims[0]);
        for (int d = 1; d < ts[i].ndim; d++) len += (size_t)snprintf(hdr + len, cap - len, ", %ld", ts[i].dims[d]);
        len += (size_t)snprintf(hdr + len, cap - len, "], \"data_offsets\": [%zu, %zu]}", off, off + bytes);
        off += bytes;
    }
    len += (size_t)snprintf(hdr + len, cap - len, "}");
    while (len % 8) hdr[len++] = ' ';
    snprintf(path, sizeof path, "%s/model.safetensors", argv[1]);
    f = fopen(path, "wb");
    if (!f) return perror(path), 1;
    uint64_t hl = len;
    fwrite(&hl, 8, 1, f);
    fwrite(hdr, 1, len, f);
    unsigned char buf[1 << 16];
    for (int i = 0; i < n; i++) {
        long count = numel(&ts[i]);
        size_t used = 0;
        for (long k = 0; k < count; k++) {
            float v = 1.0f;
            if (ts[i].scale != 0) /* Box-Muller */
                v = (float)(ts[i].scale * sqrt(-2.0 * log(uniform(&s))) * cos(6.283185307179586 * uniform(&s)));
            uint32_t bits;
            memcpy(&bits, &v, 4);
            if (s.bf16) {
                uint16_t h = (uint16_t)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
                memcpy(buf + used, &h, 2);
            } else {
                memcpy(buf + used, &bits, 4);
            }
            used += elem;
            if (used + elem > sizeof buf) fwrite(buf, 1, used, f), used = 0;
        }
        fwrite(buf, 1, used, f);
    }
    if (fclose(f) != 0) return perror(path), 1;
    printf("%s: %zu bytes of weights (%s)\n", argv[1], off, s.bf16 ? "BF16" : "F32");
    free(hdr);
    free(ts);
    return 0;
}
