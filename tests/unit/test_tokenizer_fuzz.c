/* test_tokenizer_fuzz.c: a deterministic mutation fuzzer for the tokenizer.json parser and the encoder:
 * mutated configs (every component kind) and random or hostile texts must load or fail cleanly, and every
 * encoding must have sane offsets. Meant to run under ASan + UBSan. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/file.h"
#include "tokenizer/tokenizer.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint32_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

static const char *seeds[] = {
    /* WordPiece with a Sequence of every normalizer and most pre-tokenizers */
    "{\"version\":\"1.0\",\"added_tokens\":[{\"id\":0,\"content\":\"[UNK]\",\"special\":true,\"single_word\":false,\"lstrip\":false,"
    "\"rstrip\":false,\"normalized\":false},{\"id\":5,\"content\":\"<m>\",\"special\":true,\"single_word\":true,\"lstrip\":true,"
    "\"rstrip\":true,\"normalized\":true}],"
    "\"normalizer\":{\"type\":\"Sequence\",\"normalizers\":[{\"type\":\"NFKC\"},{\"type\":\"Lowercase\"},{\"type\":\"StripAccents\"},"
    "{\"type\":\"Replace\",\"pattern\":{\"String\":\"x\"},\"content\":\"yy\"},{\"type\":\"Prepend\",\"prepend\":\"_\"},"
    "{\"type\":\"Strip\",\"strip_left\":true,\"strip_right\":true},{\"type\":\"NFD\"},{\"type\":\"NFC\"},{\"type\":\"NFKD\"}]},"
    "\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"WhitespaceSplit\"},{\"type\":\"Punctuation\",\"behavior\":\"Contiguous\"},"
    "{\"type\":\"Digits\",\"individual_digits\":true},{\"type\":\"Split\",\"pattern\":{\"Regex\":\"a+\"},\"behavior\":\"MergedWithNext\",\"invert\":false},"
    "{\"type\":\"Split\",\"pattern\":{\"String\":\"b\"},\"behavior\":\"MergedWithPrevious\",\"invert\":true},"
    "{\"type\":\"CharDelimiterSplit\",\"delimiter\":\"c\"},{\"type\":\"Whitespace\"}]},"
    "\"post_processor\":{\"type\":\"BertProcessing\",\"sep\":[\"[SEP]\",3],\"cls\":[\"[CLS]\",2]},"
    "\"decoder\":{\"type\":\"Sequence\",\"decoders\":[{\"type\":\"Replace\",\"pattern\":{\"String\":\"_\"},\"content\":\" \"},"
    "{\"type\":\"ByteFallback\"},{\"type\":\"Fuse\"},{\"type\":\"Strip\",\"content\":\" \",\"start\":1,\"stop\":0}]},"
    "\"model\":{\"type\":\"WordPiece\",\"unk_token\":\"[UNK]\",\"continuing_subword_prefix\":\"##\",\"max_input_chars_per_word\":10,"
    "\"vocab\":{\"[UNK]\":0,\"a\":1,\"[CLS]\":2,\"[SEP]\":3,\"##a\":4,\"<m>\":5,\"b\":6,\"##b\":7,\"_\":8}}}",
    /* BPE with prefix, suffix, byte fallback and fused unknowns; Metaspace */
    "{\"added_tokens\":[],\"normalizer\":null,"
    "\"pre_tokenizer\":{\"type\":\"Metaspace\",\"replacement\":\"\\u2581\",\"prepend_scheme\":\"first\",\"split\":true},"
    "\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":{\"id\":\"<s>\",\"type_id\":0}},"
    "{\"Sequence\":{\"id\":\"A\",\"type_id\":0}}],\"pair\":[],\"special_tokens\":{\"<s>\":{\"id\":\"<s>\",\"ids\":[0],\"tokens\":[\"<s>\"]}}},"
    "\"decoder\":{\"type\":\"Metaspace\",\"replacement\":\"\\u2581\",\"prepend_scheme\":\"always\"},"
    "\"model\":{\"type\":\"BPE\",\"unk_token\":\"<unk>\",\"fuse_unk\":true,\"byte_fallback\":true,\"continuing_subword_prefix\":\"##\","
    "\"end_of_word_suffix\":\"</w>\",\"vocab\":{\"<s>\":0,\"<unk>\":1,\"a\":2,\"##b\":3,\"ab\":4,\"<0x41>\":5,\"\\u2581\":6,\"\\u2581a\":7,\"##a\":8},"
    "\"merges\":[[\"a\",\"##b\"],[\"\\u2581\",\"##a\"]]}}",
    /* Unigram with byte-level parts and a Sequence post-processor */
    "{\"normalizer\":{\"type\":\"ByteLevel\"},\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":true,\"trim_offsets\":true,"
    "\"use_regex\":true},\"post_processor\":{\"type\":\"Sequence\",\"processors\":[{\"type\":\"ByteLevel\",\"trim_offsets\":true,"
    "\"add_prefix_space\":true},{\"type\":\"RobertaProcessing\",\"sep\":[\"</s>\",2],\"cls\":[\"<s>\",0],\"trim_offsets\":true,"
    "\"add_prefix_space\":true}]},\"decoder\":{\"type\":\"ByteLevel\"},\"model\":{\"type\":\"Unigram\",\"unk_id\":1,\"byte_fallback\":true,"
    "\"vocab\":[[\"<s>\",0],[\"<unk>\",0],[\"</s>\",0],[\"\\u0120\",-1],[\"a\",-2],[\"\\u0120a\",-1.5],[\"<0x41>\",-5]]}}",
    /* WordLevel with BERT normalization and a CTC decoder */
    "{\"model\":{\"type\":\"WordLevel\",\"vocab\":{\"a\":0,\"[UNK]\":1},\"unk_token\":\"[UNK]\"},\"normalizer\":{\"type\":\"BertNormalizer\","
    "\"clean_text\":true,\"handle_chinese_chars\":true,\"strip_accents\":true,\"lowercase\":false},\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"},"
    "\"decoder\":{\"type\":\"CTC\",\"pad_token\":\"<pad>\",\"word_delimiter_token\":\"|\",\"cleanup\":true}}",
};

static const char *pieces[] = {"a", "b", "ab", " ", "  ", "\t", "\n", "x", "A", "\xC3\xA9", "e\xCC\x81", "\xE4\xB8\xAD", "\xF0\x9F\x98\xA3",
                               "\xE2\x96\x81", "<m>", "[UNK]", "<s>", "1", "23", "!", "...", "'s", "\xEF\xAC\x81", "\xE2\x80\x8B",
                               "\xC2\xA0", "_", "c", "\xEF\xBC\xA6", "\xE2\x91\xA0", "\xC4\xB0", "\xE1\x84\x80\xE1\x85\xA1"};

/* Random valid UTF-8 text from pieces. */
static size_t random_text(char *buf, size_t cap) {
    size_t n = 0, want = next() % 40;
    for (size_t i = 0; i < want; i++) {
        const char *p = pieces[next() % (sizeof pieces / sizeof pieces[0])];
        size_t l = strlen(p);
        if (n + l >= cap) break;
        memcpy(buf + n, p, l);
        n += l;
    }
    buf[n] = 0;
    return n;
}

static size_t utf8_chars(const char *s, size_t n) {
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) c++;
    return c;
}

static void exercise(om_tokenizer *tok, int rounds) {
    om_encoding enc;
    om_encoding_init(&enc);
    openmed_error err;
    char text[512];
    for (int r = 0; r < rounds; r++) {
        size_t n = random_text(text, sizeof text);
        int special = (int)(next() & 1);
        if (om_tokenizer_encode(tok, text, n, special, &enc, &err) == OPENMED_OK) {
            size_t chars = utf8_chars(text, n);
            for (size_t i = 0; i < enc.count; i++) {
                CHECK_MSG(enc.offsets[2 * i] <= enc.offsets[2 * i + 1] && enc.offsets[2 * i + 1] <= (chars > n ? chars : n),
                          "offsets [%zu, %zu) outside %zu chars", enc.offsets[2 * i], enc.offsets[2 * i + 1], chars);
                CHECK(om_encoding_token(&enc, i) != NULL);
            }
            char *s = NULL;
            if (om_tokenizer_decode(tok, enc.ids, enc.count, (int)(next() & 1), &s, &err) == OPENMED_OK) free(s);
            /* wrapping into the same encoding is refused */
            CHECK(om_tokenizer_wrap_single(tok, &enc, 0, enc.count / 2, &enc, &err) == OPENMED_ERR_INVALID_ARGUMENT);
        }
        /* random bytes (mostly invalid UTF-8) */
        for (size_t i = 0; i < n; i++)
            if ((next() & 7) == 0) text[i] = (char)next();
        if (om_tokenizer_encode(tok, text, n, 1, &enc, &err) != OPENMED_OK) CHECK(enc.count == 0);
    }
    om_encoding_free(&enc);
}

static char *mutate(const char *seed, size_t *len) {
    size_t n = strlen(seed);
    char *m = malloc(n * 2 + 64);
    memcpy(m, seed, n);
    int edits = 1 + (int)(next() % 4);
    for (int e = 0; e < edits; e++) {
        uint32_t k = next() % 7;
        size_t at = n ? next() % n : 0;
        static const char *tokens[] = {"-1", "1e9", "0", "\"\"", "null", "[]", "{}", "true", "2147483648", "\"\\u0000\"", "\"\\ud800\"", "99"};
        if (k == 0 && n) m[at] = (char)next(); /* flip a byte */
        else if (k == 1 && n > 1) { memmove(m + at, m + at + 1, n - at - 1); n--; } /* delete */
        else if (k == 2) { memmove(m + at + 1, m + at, n - at); m[at] = "{}[]\",:0a\\"[next() % 10]; n++; } /* insert */
        else if (k == 3) n = at; /* truncate */
        else {
            /* replace a small number or value with a hostile one */
            const char *t = tokens[next() % (sizeof tokens / sizeof tokens[0])];
            size_t tl = strlen(t), cut = 1 + next() % 3;
            if (at + cut > n) cut = n - at;
            memmove(m + at + tl, m + at + cut, n - at - cut);
            memcpy(m + at, t, tl);
            n = n - cut + tl;
        }
        if (n > strlen(seed) + 40) break;
    }
    m[n] = 0;
    *len = n;
    return m;
}

static void fuzz_file(const char *rel, int mutations) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", OM_FIXTURES, rel);
    char *data = NULL;
    size_t size = 0;
    openmed_error err;
    if (om_read_file(path, 0, &data, &size, &err) != OPENMED_OK) { CHECK_MSG(0, "%s", err.message); return; }
    for (int i = 0; i < mutations; i++) {
        /* truncations and byte flips of a real file */
        size_t n = next() % size;
        char saved = data[n];
        om_tokenizer *tok = NULL;
        if (i & 1) data[n] = (char)next();
        openmed_status st = om_tokenizer_load_json(data, (i & 1) ? size : n, NULL, rel, &tok, &err);
        if (st == OPENMED_OK) { exercise(tok, 3); om_tokenizer_free(tok); }
        else CHECK(tok == NULL && err.message[0]);
        data[n] = saved;
    }
    free(data);
}

int main(void) {
    openmed_error err;
    int loaded = 0, failed = 0;
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        om_tokenizer *tok = NULL;
        openmed_status st = om_tokenizer_load_json(seeds[s], strlen(seeds[s]), NULL, "seed", &tok, &err);
        CHECK_MSG(st == OPENMED_OK, "seed %zu: %s", s, err.message);
        if (tok) { exercise(tok, 200); om_tokenizer_free(tok); }
        for (int i = 0; i < 400; i++) {
            size_t len;
            char *m = mutate(seeds[s], &len);
            tok = NULL;
            st = om_tokenizer_load_json(m, len, NULL, "mutant", &tok, &err);
            if (st == OPENMED_OK) {
                loaded++;
                exercise(tok, 5);
                om_tokenizer_free(tok);
            } else {
                failed++;
                CHECK(tok == NULL);
                CHECK(strstr(err.message, "mutant") != NULL);
            }
            free(m);
        }
    }
    printf("mutants: %d loaded, %d rejected\n", loaded, failed);
    CHECK(loaded > 0 && failed > 0);

    /* the real tokenizers with random text, and the hostile inputs of the reliability notes */
    static const char *suites[] = {"wordpiece-uncased", "bpe-roberta", "bpe-o200k", "unigram-debv3", "unigram-xlmr"};
    size_t big = 100000;
    char *hostile = malloc(big + 1);
    for (size_t s = 0; s < sizeof suites / sizeof suites[0]; s++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/hf/tokenizers/%s", OM_FIXTURES, suites[s]);
        om_tokenizer *tok = NULL;
        if (om_tokenizer_load_dir(dir, &tok, &err) != OPENMED_OK) { CHECK_MSG(0, "%s", err.message); continue; }
        exercise(tok, 300);
        om_encoding enc;
        om_encoding_init(&enc);
        const char fill[] = {'a', '^', ' ', '_'};
        for (size_t f = 0; f < sizeof fill; f++) {
            memset(hostile, fill[f], big);
            hostile[big] = 0;
            CHECK_MSG(om_tokenizer_encode(tok, hostile, big, 1, &enc, &err) == OPENMED_OK, "%s '%c'x%zu: %s", suites[s], fill[f], big,
                      err.message);
        }
        om_encoding_free(&enc);
        om_tokenizer_free(tok);
    }
    free(hostile);
    fuzz_file("hf/tokenizers/bpe-roberta/tokenizer.json", 30);
    fuzz_file("tokenizer/bert-base-uncased-old-format/tokenizer.json", 10);
    return check_finish("test_tokenizer_fuzz");
}
