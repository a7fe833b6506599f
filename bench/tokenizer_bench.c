/* tokenizer_bench.c: single-threaded tokenizer throughput (MB/s of UTF-8 input, tokens/s) over a .jsonl of
 * {"text": ...} lines, with the public API; bench/tokenizer_compare.mjs measures HF tokenizers (Rust) alike. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "openmed.h"

static double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}
static double now(void) { return clock_s(CLOCK_MONOTONIC); }
/* CPU time of the process: on a shared, loaded machine it is steadier than wall time. */
static double cpu(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

int main(int argc, char **argv) {
    const char *model = NULL, *input = NULL;
    double seconds = 3.0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--model") && i + 1 < argc) model = argv[++i];
        else if (!strcmp(argv[i], "--input") && i + 1 < argc) input = argv[++i];
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
        else {
            fprintf(stderr, "usage: tokenizer_bench --model DIR --input FILE.jsonl [--seconds S]\n");
            return 2;
        }
    }
    if (!model || !input) {
        fprintf(stderr, "usage: tokenizer_bench --model DIR --input FILE.jsonl [--seconds S]\n");
        return 2;
    }
    FILE *f = fopen(input, "rb");
    if (!f) { fprintf(stderr, "tokenizer_bench: %s: cannot open\n", input); return 1; }
    char **texts = NULL;
    size_t n = 0, cap = 0, bytes = 0;
    char *line = NULL;
    size_t lcap = 0;
    while (getline(&line, &lcap, f) > 0) {
        cJSON *o = cJSON_Parse(line);
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "text");
        if (cJSON_IsString(t)) {
            if (n == cap) { cap = cap ? cap * 2 : 64; texts = realloc(texts, cap * sizeof *texts); }
            texts[n++] = strdup(t->valuestring);
            bytes += strlen(t->valuestring);
        }
        cJSON_Delete(o);
    }
    free(line);
    fclose(f);
    openmed_tokenizer *tok = NULL;
    openmed_error err;
    double t0 = now();
    if (openmed_tokenizer_load(model, &tok, &err) != OPENMED_OK) { fprintf(stderr, "tokenizer_bench: %s\n", err.message); return 1; }
    double load = now() - t0;
    openmed_encoding enc;
    openmed_encoding_init(&enc);
    size_t tokens_per_pass = 0;
    for (size_t i = 0; i < n; i++) { /* warm-up pass, and the token count */
        if (openmed_tokenizer_encode(tok, texts[i], strlen(texts[i]), 1, &enc, &err) != OPENMED_OK) {
            fprintf(stderr, "tokenizer_bench: text %zu: %s\n", i, err.message);
            return 1;
        }
        tokens_per_pass += enc.count;
    }
    size_t passes = 0;
    t0 = now();
    double c0 = cpu(), elapsed;
    do {
        for (size_t i = 0; i < n; i++) openmed_tokenizer_encode(tok, texts[i], strlen(texts[i]), 1, &enc, &err);
        passes++;
        elapsed = now() - t0;
    } while (elapsed < seconds);
    double cpu_s = cpu() - c0;
    double mbs = (double)bytes * passes / cpu_s / 1e6, tps = (double)tokens_per_pass * passes / cpu_s;
    printf("{\"impl\": \"openmed-c\", \"model\": \"%s\", \"texts\": %zu, \"bytes\": %zu, \"tokens\": %zu, \"passes\": %zu, "
           "\"wall_s\": %.3f, \"cpu_s\": %.3f, \"load_ms\": %.1f, \"MB_per_cpu_s\": %.2f, \"tokens_per_cpu_s\": %.0f, "
           "\"MB_per_wall_s\": %.2f}\n",
           model, n, bytes, tokens_per_pass, passes, elapsed, cpu_s, load * 1e3, mbs, tps, (double)bytes * passes / elapsed / 1e6);
    openmed_encoding_free(&enc);
    openmed_tokenizer_free(tok);
    for (size_t i = 0; i < n; i++) free(texts[i]);
    free(texts);
    return 0;
}
