/* test_tokenizer_models.c: each golden model folder's tokenizer reproduces HF's input_ids, offsets,
 * special_tokens_mask and first window (truncation at model_max_length), and the entity "word" fields of the
 * golden pipelines: convert_ids_to_tokens for strategy "none", the decoder for grouped entities. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "core/file.h"
#include "tokenizer/tokenizer.h"

static const char *models[] = {"bert-cased", "bert-uncased", "deberta-v2-nobucket", "deberta-v3", "distilbert-uncased",
                               "electra-cased", "longformer", "modernbert", "privacy-filter", "roberta", "xlm-roberta"};

static int ints_equal(const cJSON *arr, const int32_t *v, size_t n) {
    if ((size_t)cJSON_GetArraySize(arr) != n) return 0;
    size_t i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr) if (e->valueint != v[i++]) return 0;
    return 1;
}

/* The pipeline's per-token word: convert_ids_to_tokens, or the text itself for the unknown token. */
static char *token_word(const om_tokenizer *tok, const om_encoding *e, const char *text, size_t i) {
    if (e->ids[i] != om_tokenizer_special_id(tok, OM_SPECIAL_UNK)) return strdup(om_tokenizer_id_to_token(tok, e->ids[i]));
    /* code points -> bytes */
    size_t s = e->offsets[2 * i], en = e->offsets[2 * i + 1], c = 0, b = 0, bs = 0, be = 0, len = strlen(text);
    for (b = 0; b <= len; b++) {
        if (b == len || ((unsigned char)text[b] & 0xC0) != 0x80) {
            if (c == s) bs = b;
            if (c == en) { be = b; break; }
            c++;
        }
    }
    return strndup(text + bs, be - bs);
}

static void run_model(const char *name) {
    char dir[1024], path[1100];
    snprintf(dir, sizeof dir, "%s/hf/models/%s", OM_FIXTURES, name);
    snprintf(path, sizeof path, "%s/golden.json", dir);
    openmed_error err = {0};
    om_tokenizer *tok = NULL;
    if (om_tokenizer_load_dir(dir, &tok, &err) != OPENMED_OK) { CHECK_MSG(0, "%s: %s", name, err.message); return; }
    char *data = NULL;
    size_t size;
    if (om_read_file(path, 0, &data, &size, &err) != OPENMED_OK) { CHECK_MSG(0, "%s", err.message); om_tokenizer_free(tok); return; }
    cJSON *g = cJSON_Parse(data);
    free(data);
    om_encoding all, content, window;
    om_encoding_init(&all);
    om_encoding_init(&content);
    om_encoding_init(&window);
    int64_t max_len = om_tokenizer_model_max_length(tok);
    size_t nspecial = om_tokenizer_num_special_tokens(tok);
    int texts = 0, bad_ids = 0, bad_win = 0, words = 0, bad_words = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(g, "texts")) {
        const char *text = cJSON_GetObjectItem(t, "text")->valuestring;
        texts++;
        if (om_tokenizer_encode(tok, text, strlen(text), 1, &all, &err) != OPENMED_OK ||
            om_tokenizer_encode(tok, text, strlen(text), 0, &content, &err) != OPENMED_OK) {
            CHECK_MSG(0, "%s: %s", name, err.message);
            continue;
        }
        /* whole text */
        int same = ints_equal(cJSON_GetObjectItem(t, "input_ids"), all.ids, all.count);
        const cJSON *offs = cJSON_GetObjectItem(t, "offsets"), *mask = cJSON_GetObjectItem(t, "special_tokens_mask");
        for (size_t i = 0; same && i < all.count; i++) {
            const cJSON *o = cJSON_GetArrayItem(offs, (int)i);
            same = (size_t)cJSON_GetArrayItem(o, 0)->valueint == all.offsets[2 * i] &&
                   (size_t)cJSON_GetArrayItem(o, 1)->valueint == all.offsets[2 * i + 1] &&
                   cJSON_GetArrayItem(mask, (int)i)->valueint == all.special_tokens_mask[i];
        }
        if (!same) bad_ids++;
        /* first window: HF truncation keeps max_length - specials content tokens */
        size_t keep = content.count;
        if (max_len != OM_TOKENIZER_NO_MAX_LENGTH && (int64_t)(keep + nspecial) > max_len) keep = (size_t)max_len - nspecial;
        if (om_tokenizer_wrap_single(tok, &content, 0, keep, &window, &err) != OPENMED_OK ||
            !ints_equal(cJSON_GetObjectItem(t, "window_ids"), window.ids, window.count))
            bad_win++;
        /* entity words */
        const cJSON *pipes = cJSON_GetObjectItem(t, "pipelines"), *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(pipes, "none")) {
            int index = cJSON_GetObjectItem(e, "index")->valueint;
            const char *w = cJSON_GetObjectItem(e, "word")->valuestring;
            words++;
            if (index < 0 || (size_t)index >= all.count) { bad_words++; continue; }
            char *tk = token_word(tok, &all, text, (size_t)index);
            if (strcmp(tk, w)) bad_words++;
            free(tk);
        }
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(pipes, "simple")) {
            size_t s = (size_t)cJSON_GetObjectItem(e, "start")->valueint, en = (size_t)cJSON_GetObjectItem(e, "end")->valueint;
            const char *w = cJSON_GetObjectItem(e, "word")->valuestring;
            char *members[1024];
            size_t n = 0;
            int ambiguous = 0;
            for (size_t i = 0; i < all.count && n < 1024; i++) {
                if (all.special_tokens_mask[i] || all.offsets[2 * i] < s || all.offsets[2 * i + 1] > en) continue;
                /* tokens sharing characters (byte-level pieces of one char, NFKC expansions) make the span
                 * alone unable to say which of them are in the group */
                if ((i > 0 && all.offsets[2 * i] < all.offsets[2 * i - 1]) ||
                    (i + 1 < all.count && all.offsets[2 * i + 2] < all.offsets[2 * i + 1]))
                    ambiguous = 1;
                members[n++] = token_word(tok, &all, text, i);
            }
            char *dec = NULL;
            if (ambiguous) {
                for (size_t i = 0; i < n; i++) free(members[i]);
                continue;
            }
            words++;
            if (om_tokenizer_decode_tokens(tok, (const char *const *)members, n, &dec, &err) != OPENMED_OK || strcmp(dec, w)) {
                if (bad_words < 3) fprintf(stderr, "%s: word \"%s\" decoded as \"%s\"\n", name, w, dec ? dec : "(error)");
                bad_words++;
            }
            free(dec);
            for (size_t i = 0; i < n; i++) free(members[i]);
        }
    }
    CHECK_MSG(bad_ids == 0 && bad_win == 0 && texts > 0, "%s: %d texts differ, %d first windows differ (of %d)", name, bad_ids,
              bad_win, texts);
    CHECK_MSG(bad_words == 0, "%s: %d of %d entity words differ", name, bad_words, words);
    printf("%s: %d texts, %d entity words checked\n", name, texts, words);
    om_encoding_free(&all);
    om_encoding_free(&content);
    om_encoding_free(&window);
    cJSON_Delete(g);
    om_tokenizer_free(tok);
}

int main(int argc, char **argv) {
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
        if (argc < 2 || !strcmp(argv[1], models[i])) run_model(models[i]);
    return check_finish("test_tokenizer_models");
}
