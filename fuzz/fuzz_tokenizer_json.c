/* fuzz_tokenizer_json.c: tokenizer.json (every model type: WordPiece, BPE, Unigram, WordLevel, with
 * every normalizer, pre-tokenizer, post-processor and decoder) on hostile bytes, optionally followed
 * by "\n#tokenizer_config#\n" and a tokenizer_config.json. When it loads, fixed hostile texts are
 * encoded with and without special tokens, wrapped as pipeline windows and decoded back: ids stay
 * inside the id space, offsets inside the text, and nothing crashes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "tokenizer/tokenizer.h"

static const char separator[] = "\n#tokenizer_config#\n";

static const char *texts[] = {
    "",
    "Patient John O'Neil, 45, was seen on 03/04/2021 for cystic fibrosis.",
    "  \t\n  ",
    "a\xC3\xA9 e\xCC\x81 \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\xA3 \xE2\x80\x8B\xEF\xBB\xBF \xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7",
    "[CLS] <s> </s> [UNK] <unk> <mask> [SEP] ##a \xE2\x96\x81x aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "\x01\x02\x7f\xC2\x85\xC2\xA0 1234567890 +1-555-010-9999 ab@example.org https://x.y/z?q=1",
};

static size_t utf8_code_points(const char *s) {
    size_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *config = NULL;
    char *config_copy = NULL;
    size_t json_len = size;
    const uint8_t *sep = memmem(data, size, separator, sizeof separator - 1);
    if (sep) {
        json_len = (size_t)(sep - data);
        size_t rest = size - json_len - (sizeof separator - 1);
        config_copy = malloc(rest + 1);
        if (!config_copy) return 0;
        memcpy(config_copy, sep + sizeof separator - 1, rest);
        config_copy[rest] = 0;
        config = config_copy;
    }
    om_tokenizer *tok = NULL;
    openmed_error err;
    memset(&err, 0, sizeof err);
    openmed_status s = om_tokenizer_load_json((const char *)data, json_len, config, "fuzz tokenizer.json", &tok, &err);
    FUZZ_CHECK_ERROR(s, err);
    free(config_copy);
    if (s) {
        FUZZ_ASSERT(tok == NULL, "failed load left a tokenizer");
        return 0;
    }
    size_t vocab = om_tokenizer_vocab_size(tok);
    om_encoding enc, window;
    om_encoding_init(&enc);
    om_encoding_init(&window);
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
        size_t cps = utf8_code_points(texts[t]);
        for (int special = 0; special < 2; special++) {
            s = om_tokenizer_encode(tok, texts[t], strlen(texts[t]), special, &enc, &err);
            FUZZ_CHECK_ERROR(s, err);
            if (s) continue;
            for (size_t i = 0; i < enc.count; i++) {
                FUZZ_ASSERT(enc.ids[i] >= 0 && (size_t)enc.ids[i] < vocab, "id %d outside the id space %zu",
                            (int)enc.ids[i], vocab);
                FUZZ_ASSERT(enc.offsets[2 * i] <= enc.offsets[2 * i + 1] && enc.offsets[2 * i + 1] <= cps,
                            "offsets [%zu, %zu) outside a text of %zu code points", enc.offsets[2 * i],
                            enc.offsets[2 * i + 1], cps);
                FUZZ_ASSERT(om_encoding_token(&enc, i) != NULL, "token %zu has no string", i);
            }
            char *decoded = NULL;
            s = om_tokenizer_decode(tok, enc.ids, enc.count, special, &decoded, &err);
            FUZZ_CHECK_ERROR(s, err);
            free(decoded);
            if (!special && enc.count) {
                s = om_tokenizer_wrap_single(tok, &enc, 0, enc.count > 3 ? 3 : enc.count, &window, &err);
                FUZZ_CHECK_ERROR(s, err);
            }
        }
    }
    om_encoding_free(&enc);
    om_encoding_free(&window);
    om_tokenizer_free(tok);
    return 0;
}
