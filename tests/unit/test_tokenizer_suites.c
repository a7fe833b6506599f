/* test_tokenizer_suites.c: every golden tokenizer suite (HF tokenizers 0.23) encodes with identical ids and
 * code-point offsets, special tokens added, no truncation. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "core/file.h"
#include "tokenizer/tokenizer.h"

static const char *suites[] = {"wordpiece-uncased", "wordpiece-cased", "bpe-roberta", "bpe-modernbert",
                               "bpe-o200k", "unigram-debv3", "unigram-xlmr"};

static int run_suite(const char *name) {
    char dir[1024], path[1100];
    snprintf(dir, sizeof dir, "%s/hf/tokenizers/%s", OM_FIXTURES, name);
    snprintf(path, sizeof path, "%s/suite.json", dir);
    openmed_error err = {0};
    om_tokenizer *tok = NULL;
    if (om_tokenizer_load_dir(dir, &tok, &err) != OPENMED_OK) {
        CHECK_MSG(0, "%s: %s", name, err.message);
        return 0;
    }
    char *data = NULL;
    size_t size = 0;
    CHECK(om_read_file(path, 0, &data, &size, &err) == OPENMED_OK);
    cJSON *suite = cJSON_Parse(data);
    CHECK(cJSON_IsArray(suite));
    om_encoding enc;
    om_encoding_init(&enc);
    int texts = 0, bad = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, suite) {
        const char *text = cJSON_GetObjectItem(c, "text")->valuestring;
        const cJSON *ids = cJSON_GetObjectItem(c, "ids"), *offs = cJSON_GetObjectItem(c, "offsets");
        texts++;
        if (om_tokenizer_encode(tok, text, strlen(text), 1, &enc, &err) != OPENMED_OK) {
            CHECK_MSG(0, "%s text %d: %s", name, texts - 1, err.message);
            bad++;
            continue;
        }
        int n = cJSON_GetArraySize(ids), same = (size_t)n == enc.count;
        for (int i = 0; same && i < n; i++) {
            const cJSON *o = cJSON_GetArrayItem(offs, i);
            if (enc.ids[i] != cJSON_GetArrayItem(ids, i)->valueint ||
                enc.offsets[2 * i] != (size_t)cJSON_GetArrayItem(o, 0)->valueint ||
                enc.offsets[2 * i + 1] != (size_t)cJSON_GetArrayItem(o, 1)->valueint)
                same = 0;
        }
        if (!same) {
            bad++;
            if (bad <= 3) {
                fprintf(stderr, "%s text %d differs (%zu tokens, expected %d)\n", name, texts - 1, enc.count, n);
                size_t m = enc.count > (size_t)n ? enc.count : (size_t)n;
                for (size_t i = 0; i < m; i++) {
                    const cJSON *o = cJSON_GetArrayItem(offs, (int)i);
                    int eid = i < (size_t)n ? cJSON_GetArrayItem(ids, (int)i)->valueint : -1;
                    int es = o ? cJSON_GetArrayItem(o, 0)->valueint : -1, ee = o ? cJSON_GetArrayItem(o, 1)->valueint : -1;
                    int gid = i < enc.count ? enc.ids[i] : -1;
                    long gs = i < enc.count ? (long)enc.offsets[2 * i] : -1, ge = i < enc.count ? (long)enc.offsets[2 * i + 1] : -1;
                    if (eid != gid || es != gs || ee != ge)
                        fprintf(stderr, "  [%zu] expected %d (%d,%d) got %d (%ld,%ld) %s\n", i, eid, es, ee, gid, gs, ge,
                                i < enc.count ? om_encoding_token(&enc, i) : "");
                }
            }
        }
    }
    CHECK_MSG(bad == 0, "%s: %d of %d texts differ", name, bad, texts);
    printf("%s: %d/%d texts match\n", name, texts - bad, texts);
    om_encoding_free(&enc);
    cJSON_Delete(suite);
    free(data);
    om_tokenizer_free(tok);
    return bad == 0;
}

int main(int argc, char **argv) {
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
        if (argc < 2 || !strcmp(argv[1], suites[i])) run_suite(suites[i]);
    return check_finish("test_tokenizer_suites");
}
