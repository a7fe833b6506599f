/* test_tokenizer_formats.c: the other ways a tokenizer arrives encode like the modern tokenizer.json: the old
 * serialization (no "type" in "model") and a vocab.txt-only BERT folder; plus the API the pipeline uses
 * (no-special encoding, window wrapping, model_max_length, special ids, decoding). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "core/file.h"
#include "tokenizer/tokenizer.h"

static om_tokenizer *load(const char *rel) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/%s", OM_FIXTURES, rel);
    openmed_error err = {0};
    om_tokenizer *tok = NULL;
    openmed_status st = om_tokenizer_load_dir(dir, &tok, &err);
    CHECK_MSG(st == OPENMED_OK, "%s: %s", rel, err.message);
    return tok;
}

static int same_encoding(const om_encoding *a, const om_encoding *b) {
    if (a->count != b->count) return 0;
    for (size_t i = 0; i < a->count; i++)
        if (a->ids[i] != b->ids[i] || a->offsets[2 * i] != b->offsets[2 * i] || a->offsets[2 * i + 1] != b->offsets[2 * i + 1] ||
            a->special_tokens_mask[i] != b->special_tokens_mask[i] || strcmp(om_encoding_token(a, i), om_encoding_token(b, i)))
            return 0;
    return 1;
}

/* Every text of the wordpiece-uncased suite encodes identically with `other`. */
static void compare_with_modern(om_tokenizer *modern, om_tokenizer *other, const char *what) {
    char path[1024];
    snprintf(path, sizeof path, "%s/hf/tokenizers/wordpiece-uncased/suite.json", OM_FIXTURES);
    char *data = NULL;
    size_t size;
    openmed_error err = {0};
    CHECK(om_read_file(path, 0, &data, &size, &err) == OPENMED_OK);
    cJSON *suite = cJSON_Parse(data);
    om_encoding a, b;
    om_encoding_init(&a);
    om_encoding_init(&b);
    int n = 0, differ = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, suite) {
        const char *text = cJSON_GetObjectItem(c, "text")->valuestring;
        CHECK(om_tokenizer_encode(modern, text, strlen(text), 1, &a, &err) == OPENMED_OK);
        CHECK(om_tokenizer_encode(other, text, strlen(text), 1, &b, &err) == OPENMED_OK);
        n++;
        if (!same_encoding(&a, &b)) differ++;
    }
    CHECK_MSG(n == 336 && differ == 0, "%s: %d of %d texts differ", what, differ, n);
    om_encoding_free(&a);
    om_encoding_free(&b);
    cJSON_Delete(suite);
    free(data);
}

static void test_pipeline_api(void) {
    om_tokenizer *bert = load("hf/tokenizers/wordpiece-uncased");
    om_tokenizer *roberta = load("hf/tokenizers/bpe-roberta");
    om_tokenizer *o200k = load("hf/tokenizers/bpe-o200k");
    om_tokenizer *xlmr = load("hf/tokenizers/unigram-xlmr");
    if (!bert || !roberta || !o200k || !xlmr) return;
    openmed_error err = {0};
    om_encoding all, content, window;
    om_encoding_init(&all);
    om_encoding_init(&content);
    om_encoding_init(&window);

    CHECK_INT(om_tokenizer_num_special_tokens(bert), 2);
    CHECK_INT(om_tokenizer_num_special_tokens(roberta), 2);
    CHECK_INT(om_tokenizer_num_special_tokens(o200k), 0);
    CHECK_INT(om_tokenizer_model_max_length(bert), 128);
    CHECK_INT(om_tokenizer_model_max_length(o200k), 1000000);
    CHECK_INT(om_tokenizer_special_id(bert, OM_SPECIAL_CLS), 101);
    CHECK_INT(om_tokenizer_special_id(bert, OM_SPECIAL_PAD), 0);
    CHECK_INT(om_tokenizer_special_id(roberta, OM_SPECIAL_PAD), 1);
    CHECK_INT(om_tokenizer_special_id(xlmr, OM_SPECIAL_MASK), 4001);
    CHECK_INT(om_tokenizer_special_id(o200k, OM_SPECIAL_CLS), -1);
    CHECK(om_tokenizer_is_special(bert, 102));
    CHECK(!om_tokenizer_is_special(bert, 2000));
    CHECK_STR(om_tokenizer_continuing_subword_prefix(bert), "##");
    CHECK(om_tokenizer_continuing_subword_prefix(roberta) == NULL);
    CHECK(om_tokenizer_continuing_subword_prefix(xlmr) == NULL);
    CHECK_STR(om_tokenizer_id_to_token(bert, 101), "[CLS]");
    CHECK_INT(om_tokenizer_token_to_id(bert, "[SEP]"), 102);
    CHECK(om_tokenizer_id_to_token(bert, 999999) == NULL);
    CHECK_INT(om_tokenizer_vocab_size(bert), 30522);

    /* without special tokens, RoBERTa offsets are still trimmed ("Ġwor" starts at the w) */
    const char *text = "Hello world, patient has asthma.";
    CHECK(om_tokenizer_encode(roberta, text, strlen(text), 0, &content, &err) == OPENMED_OK);
    CHECK(om_tokenizer_encode(roberta, text, strlen(text), 1, &all, &err) == OPENMED_OK);
    CHECK_INT(all.count, content.count + 2);
    CHECK_INT(content.offsets[2 * 3], 6);
    CHECK(om_tokenizer_wrap_single(roberta, &content, 0, content.count, &window, &err) == OPENMED_OK);
    CHECK(same_encoding(&window, &all));
    CHECK(om_tokenizer_wrap_single(roberta, &content, 2, 4, &window, &err) == OPENMED_OK);
    CHECK_INT(window.count, 4);
    CHECK_INT(window.ids[0], 0);
    CHECK_INT(window.ids[1], content.ids[2]);
    CHECK_INT(window.ids[3], 2);
    CHECK_INT(window.special_tokens_mask[3], 1);
    CHECK_INT(window.offsets[2 * 3 + 1], 0);
    CHECK(om_tokenizer_wrap_single(roberta, &content, 3, content.count + 1, &window, &err) == OPENMED_ERR_INVALID_ARGUMENT);

    /* decoding, as the entity "word" field needs it */
    char *s = NULL;
    const char *wp[] = {"bra", "##ca", "##1", "is"};
    CHECK(om_tokenizer_decode_tokens(bert, wp, 4, &s, &err) == OPENMED_OK);
    CHECK_STR(s, "braca1 is");
    free(s);
    const char *bl[] = {"Ġpat", "ient", "Ġw", "Ã", "¶"};
    CHECK(om_tokenizer_decode_tokens(roberta, bl, 5, &s, &err) == OPENMED_OK);
    CHECK_STR(s, " patient w\xC3\xB6");
    free(s);
    const char *bad_utf8[] = {"Ã"};
    CHECK(om_tokenizer_decode_tokens(roberta, bad_utf8, 1, &s, &err) == OPENMED_OK);
    CHECK_STR(s, "\xEF\xBF\xBD");
    free(s);
    const char *ms[] = {"\xE2\x96\x81" "Hey", "\xE2\x96\x81" "friend!"};
    CHECK(om_tokenizer_decode_tokens(xlmr, ms, 2, &s, &err) == OPENMED_OK);
    CHECK_STR(s, "Hey friend!");
    free(s);
    const char *t2 = "Mutations in BRCA1 cause cancer.";
    CHECK(om_tokenizer_encode(bert, t2, strlen(t2), 1, &all, &err) == OPENMED_OK);
    CHECK(om_tokenizer_decode(bert, all.ids, all.count, 1, &s, &err) == OPENMED_OK);
    CHECK_STR(s, "mutations in brca1 cause cancer.");
    free(s);
    int32_t bogus = 5000000;
    CHECK(om_tokenizer_decode(bert, &bogus, 1, 0, &s, &err) != OPENMED_OK);

    om_encoding_free(&all);
    om_encoding_free(&content);
    om_encoding_free(&window);
    om_tokenizer_free(bert);
    om_tokenizer_free(roberta);
    om_tokenizer_free(o200k);
    om_tokenizer_free(xlmr);
}

/* Added tokens as HF's AddedVocabulary treats them: lstrip/rstrip widen the match over spaces,
 * single_word needs word boundaries, "normalized" tokens match the normalized text. */
static const char *added_json =
    "{\"added_tokens\":["
    "{\"id\":4,\"content\":\"[MASK]\",\"special\":true,\"single_word\":false,\"lstrip\":true,\"rstrip\":false,\"normalized\":false},"
    "{\"id\":14,\"content\":\"<Foo>\",\"special\":false,\"single_word\":true,\"lstrip\":false,\"rstrip\":false,\"normalized\":true},"
    "{\"id\":15,\"content\":\"<r>\",\"special\":true,\"single_word\":false,\"lstrip\":false,\"rstrip\":true,\"normalized\":false}],"
    "\"normalizer\":{\"type\":\"BertNormalizer\",\"clean_text\":true,\"handle_chinese_chars\":true,\"strip_accents\":null,\"lowercase\":true},"
    "\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"},"
    "\"post_processor\":{\"type\":\"BertProcessing\",\"sep\":[\"[SEP]\",3],\"cls\":[\"[CLS]\",2]},"
    "\"decoder\":{\"type\":\"WordPiece\",\"prefix\":\"##\",\"cleanup\":true},"
    "\"model\":{\"type\":\"WordPiece\",\"unk_token\":\"[UNK]\",\"continuing_subword_prefix\":\"##\",\"max_input_chars_per_word\":100,"
    "\"vocab\":{\"[PAD]\":0,\"[UNK]\":1,\"[CLS]\":2,\"[SEP]\":3,\"[MASK]\":4,\"hello\":5,\"world\":6,\"a\":7,\"b\":8,\"x\":9,\"y\":10,"
    "\"<\":11,\">\":12,\"foo\":13}}}";

static void expect_tokens(om_tokenizer *tok, const char *text, const int32_t *ids, const size_t *offs, size_t n) {
    om_encoding e;
    om_encoding_init(&e);
    openmed_error err = {0};
    CHECK_MSG(om_tokenizer_encode(tok, text, strlen(text), 1, &e, &err) == OPENMED_OK, "%s", err.message);
    CHECK_MSG(e.count == n, "\"%s\": %zu tokens, expected %zu", text, e.count, n);
    for (size_t i = 0; i < n && i < e.count; i++)
        CHECK_MSG(e.ids[i] == ids[i] && e.offsets[2 * i] == offs[2 * i] && e.offsets[2 * i + 1] == offs[2 * i + 1],
                  "\"%s\" token %zu: %d [%zu, %zu), expected %d [%zu, %zu)", text, i, (int)e.ids[i], e.offsets[2 * i],
                  e.offsets[2 * i + 1], (int)ids[i], offs[2 * i], offs[2 * i + 1]);
    om_encoding_free(&e);
}

static void test_added_tokens(void) {
    om_tokenizer *tok = NULL;
    openmed_error err = {0};
    CHECK(om_tokenizer_load_json(added_json, strlen(added_json), NULL, "added.json", &tok, &err) == OPENMED_OK);
    if (!tok) return;
    const int32_t i1[] = {2, 5, 4, 6, 3};
    const size_t o1[] = {0, 0, 0, 5, 5, 12, 13, 18, 0, 0};
    expect_tokens(tok, "hello [MASK] world", i1, o1, 5); /* lstrip: the space before [MASK] is in its span */
    const int32_t i2[] = {2, 7, 14, 8, 3};
    const size_t o2[] = {0, 0, 0, 1, 2, 7, 8, 9, 0, 0};
    expect_tokens(tok, "a <FOO> b", i2, o2, 5); /* normalized token: matches the lowercased text */
    const int32_t i3[] = {2, 9, 11, 13, 12, 10, 3};
    const size_t o3[] = {0, 0, 0, 1, 1, 2, 2, 5, 5, 6, 6, 7, 0, 0};
    expect_tokens(tok, "x<FOO>y", i3, o3, 7); /* single_word: inside a word it is not the added token */
    const int32_t i4[] = {2, 7, 15, 8, 3};
    const size_t o4[] = {0, 0, 0, 1, 2, 7, 7, 8, 0, 0};
    expect_tokens(tok, "a <r>  b", i4, o4, 5); /* rstrip: the spaces after <r> are in its span */
    CHECK_STR(om_tokenizer_id_to_token(tok, 14), "<Foo>");
    CHECK_INT(om_tokenizer_token_to_id(tok, "<Foo>"), 14);
    CHECK(!om_tokenizer_is_special(tok, 14));
    CHECK(om_tokenizer_is_special(tok, 4));
    om_encoding e;
    om_encoding_init(&e);
    CHECK(om_tokenizer_encode(tok, "a <FOO> b", 9, 1, &e, &err) == OPENMED_OK);
    if (e.count == 5) {
        CHECK_STR(om_encoding_token(&e, 2), "<Foo>");
        CHECK_INT(e.special_tokens_mask[2], 0);
        CHECK_INT(e.special_tokens_mask[4], 1);
    }
    CHECK(om_tokenizer_encode(tok, "hello [MASK] world", 18, 1, &e, &err) == OPENMED_OK);
    char *s = NULL;
    CHECK(om_tokenizer_decode(tok, e.ids, e.count, 1, &s, &err) == OPENMED_OK);
    CHECK_STR(s, "[CLS] hello world [SEP]"); /* HF skips special *added* tokens only; [CLS] is just vocab here */
    free(s);
    CHECK(om_tokenizer_decode(tok, e.ids, e.count, 0, &s, &err) == OPENMED_OK);
    CHECK_STR(s, "[CLS] hello [MASK] world [SEP]");
    free(s);
    om_encoding_free(&e);
    om_tokenizer_free(tok);
}

/* tokenizer_config.json options that transformers' Bert/RoBERTa classes apply over tokenizer.json. */
static void test_class_options(void) {
    char path[1024];
    char *json = NULL;
    size_t size;
    openmed_error err = {0};
    om_encoding e;
    om_encoding_init(&e);
    om_tokenizer *tok = NULL;
    snprintf(path, sizeof path, "%s/hf/tokenizers/wordpiece-uncased/tokenizer.json", OM_FIXTURES);
    CHECK(om_read_file(path, 0, &json, &size, &err) == OPENMED_OK);
    /* stated do_lower_case false: "Hello" stays cased, so the uncased vocabulary has no such word */
    const char *cased = "{\"tokenizer_class\": \"BertTokenizer\", \"do_lower_case\": false}";
    CHECK(om_tokenizer_load_json(json, size, cased, "t.json", &tok, &err) == OPENMED_OK);
    CHECK(om_tokenizer_encode(tok, "Hello", 5, 0, &e, &err) == OPENMED_OK);
    CHECK(e.count == 1 && e.ids[0] == 100);
    om_tokenizer_free(tok);
    /* another class, or no stated value: tokenizer.json decides */
    const char *other = "{\"tokenizer_class\": \"TokenizersBackend\", \"do_lower_case\": false}";
    CHECK(om_tokenizer_load_json(json, size, other, "t.json", &tok, &err) == OPENMED_OK);
    CHECK(om_tokenizer_encode(tok, "Hello", 5, 0, &e, &err) == OPENMED_OK);
    CHECK(e.count == 1 && e.ids[0] == 7592);
    om_tokenizer_free(tok);
    free(json);
    snprintf(path, sizeof path, "%s/hf/tokenizers/bpe-roberta/tokenizer.json", OM_FIXTURES);
    CHECK(om_read_file(path, 0, &json, &size, &err) == OPENMED_OK);
    const char *prefix = "{\"tokenizer_class\": \"RobertaTokenizerFast\", \"add_prefix_space\": true}";
    CHECK(om_tokenizer_load_json(json, size, prefix, "t.json", &tok, &err) == OPENMED_OK);
    CHECK(om_tokenizer_encode(tok, "patient", 7, 0, &e, &err) == OPENMED_OK);
    CHECK(e.count >= 1 && !strncmp(om_encoding_token(&e, 0), "\xC4\xA0", 2)); /* "Ġ..." */
    CHECK(e.count >= 1 && e.offsets[0] == 0);
    om_tokenizer_free(tok);
    CHECK(om_tokenizer_load_json(json, size, NULL, "t.json", &tok, &err) == OPENMED_OK);
    CHECK(om_tokenizer_encode(tok, "patient", 7, 0, &e, &err) == OPENMED_OK);
    CHECK(e.count >= 1 && strncmp(om_encoding_token(&e, 0), "\xC4\xA0", 2) != 0);
    om_tokenizer_free(tok);
    free(json);
    om_encoding_free(&e);
}

/* An older BERT folder: vocab.txt, tokenizer_config.json and added_tokens.json. */
static void test_vocab_folder_added(void) {
    char dir[] = "/tmp/om_vocab_folder_XXXXXX", path[256];
    CHECK(mkdtemp(dir) != NULL);
    const char *files[3][2] = {
        {"vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\ncase\nco\n##vid\n##19\nmild\n"},
        {"tokenizer_config.json", "{\"do_lower_case\": true, \"model_max_length\": 64}"},
        {"added_tokens.json", "{\"covid19\": 10}"}};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i][0]);
        FILE *f = fopen(path, "w");
        fputs(files[i][1], f);
        fclose(f);
    }
    om_tokenizer *tok = NULL;
    openmed_error err = {0};
    CHECK_MSG(om_tokenizer_load_dir(dir, &tok, &err) == OPENMED_OK, "%s", err.message);
    if (tok) {
        const int32_t ids[] = {2, 10, 5, 9, 3};
        const size_t offs[] = {0, 0, 0, 7, 8, 12, 13, 17, 0, 0};
        expect_tokens(tok, "COVID19 case mild", ids, offs, 5); /* the added token matches the lowercased text */
        const int32_t ids2[] = {2, 10, 1, 3};
        const size_t offs2[] = {0, 0, 0, 7, 7, 8, 0, 0};
        expect_tokens(tok, "covid19x", ids2, offs2, 4); /* not single_word: it matches inside a word too */
        CHECK_INT(om_tokenizer_model_max_length(tok), 64);
        CHECK_STR(om_tokenizer_id_to_token(tok, 10), "covid19");
        om_tokenizer_free(tok);
    }
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i][0]);
        unlink(path);
    }
    rmdir(dir);
}

/* One loaded tokenizer shared by threads (it is immutable); each thread has its own encoding. */
typedef struct shared_job {
    const om_tokenizer *tok;
    const char *const *texts;
    size_t ntexts;
    const om_encoding *expected;
    int mismatches;
} shared_job;

static void *encode_all(void *arg) {
    shared_job *j = arg;
    om_encoding e;
    om_encoding_init(&e);
    openmed_error err;
    for (int round = 0; round < 20; round++)
        for (size_t i = 0; i < j->ntexts; i++)
            if (om_tokenizer_encode(j->tok, j->texts[i], strlen(j->texts[i]), 1, &e, &err) != OPENMED_OK ||
                !same_encoding(&e, &j->expected[i]))
                j->mismatches++;
    om_encoding_free(&e);
    return NULL;
}

static void test_threads(void) {
    static const char *const texts[] = {"Patient John Smith (DOB 03/14/1962) has type 2 diabetes.",
                                        "Caf\xC3\xA9 owner with r\xC3\xA9sum\xC3\xA9 gaps: anemia \xF0\x9F\x98\xA3.",
                                        "BRCA1 and BRCA2 increase the risk of breast cancer.", ""};
    const char *names[] = {"hf/tokenizers/bpe-roberta", "hf/tokenizers/unigram-debv3", "hf/tokenizers/wordpiece-cased"};
    for (int t = 0; t < 3; t++) {
        om_tokenizer *tok = load(names[t]);
        if (!tok) continue;
        om_encoding expected[4];
        openmed_error err;
        for (int i = 0; i < 4; i++) {
            om_encoding_init(&expected[i]);
            CHECK(om_tokenizer_encode(tok, texts[i], strlen(texts[i]), 1, &expected[i], &err) == OPENMED_OK);
        }
        shared_job jobs[3];
        pthread_t th[3];
        for (int k = 0; k < 3; k++) {
            jobs[k] = (shared_job){tok, texts, 4, expected, 0};
            CHECK(pthread_create(&th[k], NULL, encode_all, &jobs[k]) == 0);
        }
        for (int k = 0; k < 3; k++) {
            pthread_join(th[k], NULL);
            CHECK_MSG(jobs[k].mismatches == 0, "%s: thread %d saw %d differing encodings", names[t], k, jobs[k].mismatches);
        }
        for (int i = 0; i < 4; i++) om_encoding_free(&expected[i]);
        om_tokenizer_free(tok);
    }
}

int main(void) {
    om_tokenizer *modern = load("hf/tokenizers/wordpiece-uncased");
    om_tokenizer *old = load("tokenizer/bert-base-uncased-old-format");
    om_tokenizer *vocab = load("tokenizer/bert-base-uncased-vocab-only");
    if (modern && old) compare_with_modern(modern, old, "old serialization");
    if (modern && vocab) compare_with_modern(modern, vocab, "vocab.txt folder");
    if (vocab) {
        CHECK_INT(om_tokenizer_model_max_length(vocab), 512);
        CHECK_INT(om_tokenizer_special_id(vocab, OM_SPECIAL_SEP), 102);
        CHECK_STR(om_tokenizer_continuing_subword_prefix(vocab), "##");
    }
    if (old) CHECK_INT(om_tokenizer_model_max_length(old), OM_TOKENIZER_NO_MAX_LENGTH);
    om_tokenizer_free(modern);
    om_tokenizer_free(old);
    om_tokenizer_free(vocab);
    test_pipeline_api();
    test_added_tokens();
    test_class_options();
    test_vocab_folder_added();
    test_threads();
    return check_finish("test_tokenizer_formats");
}
