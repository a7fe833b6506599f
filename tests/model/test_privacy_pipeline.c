/* test_privacy_pipeline.c: the privacy filter through the public pipeline with the Viterbi decoder:
 * aggregation none gives HF's per-token shape with exactly the golden BIOES Viterbi labels, and the
 * grouped output equals the entities of an independent Python statement of OpenMed's decoding
 * (tests/fixtures/privacy/viterbi_entities.json) on all 36 golden texts. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "golden.h"
#include "core/file.h"
#include "openmed.h"

#define MODEL_DIR OM_FIXTURES "/hf/models/privacy-filter"

static openmed_pipeline *make(openmed_model *m, openmed_aggregation agg, openmed_label_decoder dec) {
    openmed_pipeline_options po;
    openmed_pipeline_options_init(&po);
    po.aggregation = agg;
    po.decoder = dec;
    openmed_pipeline *p = NULL;
    openmed_error err;
    CHECK_MSG(openmed_pipeline_create(m, &po, &p, &err) == OPENMED_OK, "%s", err.message);
    return p;
}

int main(void) {
    openmed_error err;
    cJSON *golden = golden_read_json(MODEL_DIR "/golden.json");
    cJSON *expected = golden_read_json(OM_FIXTURES "/privacy/viterbi_entities.json");
    CHECK(golden && expected);
    openmed_model_options mo;
    openmed_model_options_init(&mo);
    mo.device = "cpu";
    openmed_model *m = NULL;
    CHECK_MSG(openmed_model_load(MODEL_DIR, &mo, &m, &err) == OPENMED_OK, "%s", err.message);
    if (!golden || !expected || !m) return check_finish("test_privacy_pipeline");
    CHECK_INT(openmed_model_default_decoder(m), OPENMED_DECODER_VITERBI);

    const cJSON *texts = cJSON_GetObjectItem(golden, "texts"), *want = cJSON_GetObjectItem(expected, "texts");
    int n = cJSON_GetArraySize(texts);
    CHECK_INT(cJSON_GetArraySize(want), n);
    const char **batch = calloc((size_t)n, sizeof *batch);
    int i = 0;
    for (const cJSON *t = texts->child; t; t = t->next) batch[i++] = cJSON_GetObjectItem(t, "text")->valuestring;

    /* none: one dict per token whose Viterbi label is not O, HF's shape */
    openmed_pipeline *p = make(m, OPENMED_AGGREGATION_NONE, OPENMED_DECODER_VITERBI);
    openmed_result *r = NULL;
    CHECK_MSG(p && openmed_pipeline_run(p, batch, (size_t)n, &r, &err) == OPENMED_OK, "%s", err.message);
    int bad = 0, tokens = 0;
    i = 0;
    for (const cJSON *t = texts->child; r && t; t = t->next, i++) {
        const cJSON *labels = cJSON_GetObjectItem(t, "viterbi_labels"), *offsets = cJSON_GetObjectItem(t, "offsets");
        size_t e = 0;
        int k = 0;
        for (const cJSON *l = labels->child; l; l = l->next, k++) {
            if (strcmp(l->valuestring, "O") == 0) continue;
            tokens++;
            const openmed_entity *x = e < r[i].n_entities ? &r[i].entities[e++] : NULL;
            const cJSON *off = cJSON_GetArrayItem(offsets, k);
            if (!x || x->index != k || strcmp(x->label, l->valuestring) != 0 ||
                x->start != cJSON_GetArrayItem(off, 0)->valueint || x->end != cJSON_GetArrayItem(off, 1)->valueint ||
                !(x->score > 0.0f && x->score <= 1.0f))
                bad++;
        }
        bad += (int)(r[i].n_entities - e);
    }
    printf("viterbi none: %d non-O tokens, %d mismatches\n", tokens, bad);
    CHECK_INT(bad, 0);
    openmed_results_free(r, (size_t)n);
    openmed_pipeline_free(p);

    /* grouped (simple, first, average, max all take the BIOES spans) */
    static const openmed_aggregation groupings[] = {OPENMED_AGGREGATION_SIMPLE, OPENMED_AGGREGATION_FIRST};
    for (size_t g = 0; g < sizeof groupings / sizeof groupings[0]; g++) {
        p = make(m, groupings[g], OPENMED_DECODER_VITERBI);
        r = NULL;
        CHECK_MSG(p && openmed_pipeline_run(p, batch, (size_t)n, &r, &err) == OPENMED_OK, "%s", err.message);
        int mismatches = 0, entities = 0;
        double worst = 0;
        i = 0;
        for (const cJSON *w = want->child; r && w; w = w->next, i++) {
            const cJSON *ents = cJSON_GetObjectItem(w, "entities");
            int count = cJSON_GetArraySize(ents);
            entities += count;
            if ((int)r[i].n_entities != count) {
                CHECK_MSG(0, "text %d: %zu entities, expected %d", i, r[i].n_entities, count);
                mismatches++;
                continue;
            }
            size_t e = 0;
            for (const cJSON *x = ents->child; x; x = x->next, e++) {
                const openmed_entity *got = &r[i].entities[e];
                double d = fabs(got->score - cJSON_GetObjectItem(x, "score")->valuedouble);
                if (d > worst) worst = d;
                int same = strcmp(got->label, cJSON_GetObjectItem(x, "entity_group")->valuestring) == 0 &&
                           strcmp(got->word, cJSON_GetObjectItem(x, "word")->valuestring) == 0 &&
                           got->start == cJSON_GetObjectItem(x, "start")->valueint &&
                           got->end == cJSON_GetObjectItem(x, "end")->valueint && got->index == -1 && d <= 1e-4;
                CHECK_MSG(same, "text %d entity %zu: %s [%lld, %lld) \"%s\" %.7f", i, e, got->label,
                          (long long)got->start, (long long)got->end, got->word, got->score);
                mismatches += !same;
            }
        }
        printf("viterbi %s: %d entities, %d mismatches, max score diff %.2g\n",
               openmed_aggregation_name(groupings[g]), entities, mismatches, worst);
        CHECK_INT(mismatches, 0);
        openmed_results_free(r, (size_t)n);
        openmed_pipeline_free(p);
    }

    /* ignore_labels and threshold apply to the spans too */
    {
        openmed_pipeline_options po;
        openmed_pipeline_options_init(&po);
        po.decoder = OPENMED_DECODER_VITERBI;
        const char *ignore[] = {"private_date"};
        po.ignore_labels = ignore;
        po.n_ignore_labels = 1;
        po.threshold = 0.5f;
        CHECK(openmed_pipeline_create(m, &po, &p, &err) == OPENMED_OK);
        CHECK(openmed_pipeline_run(p, batch, 3, &r, &err) == OPENMED_OK);
        int ok = 1;
        for (int q = 0; q < 3; q++)
            for (size_t e = 0; e < r[q].n_entities; e++)
                ok &= strcmp(r[q].entities[e].label, "private_date") != 0 && r[q].entities[e].score >= 0.5f;
        CHECK(ok);
        openmed_results_free(r, 3);
        openmed_pipeline_free(p);
    }
    free(batch);
    openmed_model_free(m);
    cJSON_Delete(golden);
    cJSON_Delete(expected);
    return check_finish("test_privacy_pipeline");
}
