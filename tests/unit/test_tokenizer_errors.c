/* test_tokenizer_errors.c: bad tokenizer files and bad text fail with a clear message (file, component,
 * token or byte offset named) and never crash; each bad case has a working twin. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "core/file.h"
#include "tokenizer/tokenizer.h"

/* A small valid BPE tokenizer; the cases below break one part of it. */
static const char *good_bpe =
    "{\"version\":\"1.0\",\"added_tokens\":[{\"id\":0,\"content\":\"<s>\",\"special\":true,\"single_word\":false,"
    "\"lstrip\":false,\"rstrip\":false,\"normalized\":false}],"
    "\"normalizer\":{\"type\":\"Lowercase\"},"
    "\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":true,\"use_regex\":true},"
    "\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":{\"id\":\"<s>\",\"type_id\":0}},"
    "{\"Sequence\":{\"id\":\"A\",\"type_id\":0}}],\"pair\":[],\"special_tokens\":{\"<s>\":{\"id\":\"<s>\",\"ids\":[0],\"tokens\":[\"<s>\"]}}},"
    "\"decoder\":{\"type\":\"ByteLevel\"},"
    "\"model\":{\"type\":\"BPE\",\"vocab\":{\"<s>\":0,\"a\":1,\"b\":2,\"ab\":3,\"\\u0120\":4,\"\\u0120ab\":5},"
    "\"merges\":[\"a b\",[\"\\u0120\",\"ab\"]]}}";

static char *replace(const char *s, const char *from, const char *to) {
    const char *f = strstr(s, from);
    if (!f) { fprintf(stderr, "fixture text not found: %s\n", from); exit(2); }
    size_t a = (size_t)(f - s), fl = strlen(from), tl = strlen(to), n = strlen(s);
    char *o = malloc(n - fl + tl + 1);
    memcpy(o, s, a);
    memcpy(o + a, to, tl);
    memcpy(o + a + tl, f + fl, n - a - fl + 1);
    return o;
}

/* Loading `json` fails with `status` and a message containing `needle`. */
static void expect_fail(const char *json, openmed_status status, const char *needle, const char *what) {
    openmed_error err = {0};
    om_tokenizer *tok = (om_tokenizer *)1;
    openmed_status st = om_tokenizer_load_json(json, strlen(json), NULL, "test.json", &tok, &err);
    CHECK_MSG(st == status, "%s: status %d, expected %d (%s)", what, (int)st, (int)status, err.message);
    CHECK_MSG(tok == NULL, "%s: the output is not cleared", what);
    CHECK_MSG(strstr(err.message, needle) != NULL, "%s: message \"%s\" lacks \"%s\"", what, err.message, needle);
    CHECK_MSG(strstr(err.message, "test.json") != NULL, "%s: message \"%s\" does not name the file", what, err.message);
}

static void expect_fail_replaced(const char *from, const char *to, openmed_status status, const char *needle) {
    char *j = replace(good_bpe, from, to);
    expect_fail(j, status, needle, to);
    free(j);
}

int main(void) {
    openmed_error err = {0};
    om_tokenizer *tok = NULL;
    om_encoding enc;
    om_encoding_init(&enc);

    /* the twin that works: "ab ab" -> <s> ab Ġab */
    CHECK(om_tokenizer_load_json(good_bpe, strlen(good_bpe), NULL, "test.json", &tok, &err) == OPENMED_OK);
    CHECK(om_tokenizer_encode(tok, "AB ab", 5, 1, &enc, &err) == OPENMED_OK);
    CHECK_INT(enc.count, 3);
    if (enc.count == 3) {
        CHECK_INT(enc.ids[1], 3);
        CHECK_INT(enc.ids[2], 5);
        CHECK_INT(enc.offsets[4], 2); /* TemplateProcessing keeps the space in the offsets (no trim) */
    }

    /* invalid UTF-8 in the text: the byte offset is named */
    CHECK(om_tokenizer_encode(tok, "ab \xC3(", 5, 1, &enc, &err) == OPENMED_ERR_INVALID_ARGUMENT);
    CHECK_MSG(strstr(err.message, "byte offset 3") != NULL, "%s", err.message);
    CHECK_INT(enc.count, 0);
    CHECK(om_tokenizer_encode(tok, "\xED\xA0\x80", 3, 1, &enc, &err) == OPENMED_ERR_INVALID_ARGUMENT); /* surrogate */
    CHECK(om_tokenizer_encode(tok, "ab\xF4\x90\x80\x80", 6, 1, &enc, &err) == OPENMED_ERR_INVALID_ARGUMENT);
    CHECK_MSG(strstr(err.message, "byte offset 2") != NULL, "%s", err.message);
    CHECK(om_tokenizer_encode(tok, "\xC0\xAF", 2, 1, &enc, &err) == OPENMED_ERR_INVALID_ARGUMENT); /* overlong */
    CHECK(om_tokenizer_encode(tok, "", 0, 1, &enc, &err) == OPENMED_OK);
    CHECK_INT(enc.count, 1);
    om_tokenizer_free(tok);

    /* malformed and truncated JSON */
    expect_fail("{\"model\": ", OPENMED_ERR_FORMAT, "malformed or truncated JSON", "truncated");
    expect_fail("[1, 2]", OPENMED_ERR_FORMAT, "JSON object", "not an object");
    char *half = malloc(strlen(good_bpe) / 2 + 1);
    memcpy(half, good_bpe, strlen(good_bpe) / 2);
    half[strlen(good_bpe) / 2] = 0;
    expect_fail(half, OPENMED_ERR_FORMAT, "truncated", "half a file");
    free(half);
    expect_fail("{\"normalizer\": null}", OPENMED_ERR_FORMAT, "missing \"model\"", "no model");

    /* unknown component types are named */
    expect_fail_replaced("{\"type\":\"Lowercase\"}", "{\"type\":\"Frobnicate\"}", OPENMED_ERR_UNSUPPORTED, "unknown normalizer type \"Frobnicate\"");
    expect_fail_replaced("{\"type\":\"ByteLevel\",\"add_prefix_space\"", "{\"type\":\"Shuffle\",\"add_prefix_space\"", OPENMED_ERR_UNSUPPORTED,
                         "unknown pre_tokenizer type \"Shuffle\"");
    expect_fail_replaced("\"type\":\"BPE\"", "\"type\":\"Magic\"", OPENMED_ERR_UNSUPPORTED, "unknown model type \"Magic\"");
    expect_fail_replaced("{\"type\":\"TemplateProcessing\"", "{\"type\":\"Mystery\"", OPENMED_ERR_UNSUPPORTED,
                         "unknown post_processor type \"Mystery\"");
    expect_fail_replaced("\"decoder\":{\"type\":\"ByteLevel\"}", "\"decoder\":{\"type\":\"Riddle\"}", OPENMED_ERR_UNSUPPORTED,
                         "unknown decoder type \"Riddle\"");

    /* a template's special token id outside the vocabulary (found by fuzz_tokenizer_json) */
    expect_fail_replaced("\"ids\":[0]", "\"ids\":[742]", OPENMED_ERR_FORMAT,
                         "special token \"<s>\" has id 742, outside the 6 ids of the vocabulary");

    /* vocab / merges inconsistencies (HF tokenizers #2151, #2153: vocab {a, b} with merge "a b") */
    expect_fail_replaced("\"ab\":3,", "", OPENMED_ERR_FORMAT, "merge 0 makes \"ab\", which is not in the vocabulary");
    expect_fail_replaced("\"merges\":[\"a b\"", "\"merges\":[\"a c\"", OPENMED_ERR_FORMAT, "uses \"c\", which is not in the vocabulary");
    expect_fail_replaced("\"merges\":[\"a b\"", "\"merges\":[\"ab\"", OPENMED_ERR_FORMAT, "merge 0");
    expect_fail_replaced("\"merges\":[\"a b\"", "\"merges\":[7", OPENMED_ERR_FORMAT, "merge 0");
    expect_fail_replaced("\"type\":\"BPE\",", "\"type\":\"BPE\",\"continuing_subword_prefix\":\"###\",", OPENMED_ERR_FORMAT,
                         "shorter than the continuing_subword_prefix");
    expect_fail_replaced("\"type\":\"BPE\",", "\"type\":\"BPE\",\"unk_token\":\"<unk>\",", OPENMED_ERR_FORMAT, "unk_token \"<unk>\"");
    expect_fail_replaced("\"a\":1,", "\"a\":-1,", OPENMED_ERR_FORMAT, "bad id for token \"a\"");
    expect_fail_replaced("\"a\":1,", "\"a\":1.5,", OPENMED_ERR_FORMAT, "bad id for token \"a\"");
    expect_fail_replaced("\"a\":1,", "\"a\":99999999,", OPENMED_ERR_FORMAT, "out of range");

    /* other crafted configs from HF tokenizers #2151 */
    expect_fail_replaced("\"special_tokens\":{\"<s>\":{\"id\":\"<s>\",\"ids\":[0],\"tokens\":[\"<s>\"]}}", "\"special_tokens\":{}",
                         OPENMED_ERR_FORMAT, "special token \"<s>\" is used but not defined");
    expect_fail_replaced("\"decoder\":{\"type\":\"ByteLevel\"}", "\"decoder\":{\"type\":\"Strip\",\"content\":\" \",\"start\":-1,\"stop\":2}",
                         OPENMED_ERR_FORMAT, "decoder Strip");
    expect_fail_replaced("{\"type\":\"Lowercase\"}", "{\"type\":\"Precompiled\",\"precompiled_charsmap\":\"AAAA\"}", OPENMED_ERR_FORMAT,
                         "precompiled_charsmap");
    expect_fail_replaced("{\"type\":\"Lowercase\"}", "{\"type\":\"Precompiled\",\"precompiled_charsmap\":\"/////w==\"}", OPENMED_ERR_FORMAT,
                         "exceeds");
    expect_fail_replaced("{\"type\":\"Lowercase\"}", "{\"type\":\"Precompiled\",\"precompiled_charsmap\":\"!!\"}", OPENMED_ERR_FORMAT,
                         "not base64");
    expect_fail_replaced("{\"type\":\"Lowercase\"}", "{\"type\":\"Replace\",\"pattern\":{\"Regex\":\"(a\"},\"content\":\"\"}",
                         OPENMED_ERR_FORMAT, "bad regex");
    expect_fail_replaced("{\"type\":\"Lowercase\"}", "{\"type\":\"Replace\",\"pattern\":{\"Glob\":\"a\"},\"content\":\"\"}",
                         OPENMED_ERR_FORMAT, "pattern must be");
    expect_fail("{\"model\":{\"type\":\"Unigram\",\"unk_id\":7,\"vocab\":[[\"a\",0.0]]}}", OPENMED_ERR_FORMAT, "unk_id 7", "unigram unk");
    expect_fail("{\"model\":{\"type\":\"Unigram\",\"vocab\":[[\"a\"]]}}", OPENMED_ERR_FORMAT, "[piece, score]", "unigram entry");
    expect_fail("{\"model\":{\"type\":\"WordPiece\",\"vocab\":[1]}}", OPENMED_ERR_FORMAT, "\"vocab\" must be an object", "wordpiece vocab");

    /* folders */
    CHECK(om_tokenizer_load_dir("/nonexistent/openmed/folder", &tok, &err) == OPENMED_ERR_NOT_FOUND);
    CHECK(strstr(err.message, "/nonexistent/openmed/folder") != NULL);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tokenizer", OM_FIXTURES);
    CHECK(om_tokenizer_load_dir(dir, &tok, &err) == OPENMED_ERR_NOT_FOUND);
    CHECK_MSG(strstr(err.message, "no tokenizer.json or vocab.txt") != NULL, "%s", err.message);

    /* a SentencePiece-only folder: unsupported, with the way out */
    char spdir[] = "/tmp/om_spm_only_XXXXXX", spfile[256];
    CHECK(mkdtemp(spdir) != NULL);
    snprintf(spfile, sizeof spfile, "%s/spm.model", spdir);
    FILE *f = fopen(spfile, "w");
    if (f) { fputs("not really", f); fclose(f); }
    CHECK(om_tokenizer_load_dir(spdir, &tok, &err) == OPENMED_ERR_UNSUPPORTED);
    CHECK_MSG(strstr(err.message, "spm.model") && strstr(err.message, "tokenizer.json"), "%s", err.message);
    unlink(spfile);
    rmdir(spdir);

    /* a Unigram model with no unk_id meets an unknown character: an error, not a crash */
    const char *uni = "{\"model\":{\"type\":\"Unigram\",\"vocab\":[[\"a\",-1.0]]}}";
    CHECK(om_tokenizer_load_json(uni, strlen(uni), NULL, "u.json", &tok, &err) == OPENMED_OK);
    CHECK(om_tokenizer_encode(tok, "ab", 2, 1, &enc, &err) != OPENMED_OK);
    CHECK_MSG(strstr(err.message, "unk_id") != NULL, "%s", err.message);
    CHECK(om_tokenizer_encode(tok, "aa", 2, 1, &enc, &err) == OPENMED_OK);
    CHECK_INT(enc.count, 2);
    om_tokenizer_free(tok);

    om_encoding_free(&enc);
    return check_finish("test_tokenizer_errors");
}
