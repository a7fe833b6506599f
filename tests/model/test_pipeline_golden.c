/* test_pipeline_golden.c: every pipeline output of the Hugging Face goldens, every text: the five
 * aggregation strategies, the two stride-32 runs and the batched run. Labels, words, offsets and
 * indices exact, scores within 1e-4, the same number of entities.
 *
 * To cover another architecture, add its fixture folder name to `models` below. Run one model with
 * `test_pipeline_golden NAME`. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "golden.h"
#include "core/file.h"
#include "openmed.h"

static const char *const models[] = {
    "bert-uncased", "bert-cased", "distilbert-uncased", "electra-cased", "roberta", "xlm-roberta", /* BERT family */
    "deberta-v3", "deberta-v2-nobucket", "modernbert", "longformer", /* encoders (issue 5) */
    "privacy-filter", /* privacy (issue 6): HF argmax + simple, as OpenMed's torch route */
};

typedef struct run_spec {
    const char *key;  /* golden "pipelines" key */
    openmed_aggregation aggregation;
    int stride;
} run_spec;

static const run_spec runs[] = {
    {"none", OPENMED_AGGREGATION_NONE, -1},         {"simple", OPENMED_AGGREGATION_SIMPLE, -1},
    {"first", OPENMED_AGGREGATION_FIRST, -1},       {"average", OPENMED_AGGREGATION_AVERAGE, -1},
    {"max", OPENMED_AGGREGATION_MAX, -1},           {"simple_stride32", OPENMED_AGGREGATION_SIMPLE, 32},
    {"first_stride32", OPENMED_AGGREGATION_FIRST, 32},
};

static int n_mismatch_reports;

/* Compare one text's entities with the golden list of dicts. */
static void compare(const char *model, const char *run, size_t text_i, const openmed_result *r, const cJSON *gold) {
    int n = cJSON_GetArraySize(gold);
    CHECK_MSG((int)r->n_entities == n, "%s %s text %zu: %zu entities, golden %d", model, run, text_i, r->n_entities,
              n);
    int fails_before = check_failures;
    for (int i = 0; i < n && i < (int)r->n_entities; i++) {
        const cJSON *g = cJSON_GetArrayItem(gold, i);
        const openmed_entity *e = &r->entities[i];
        const cJSON *label = cJSON_GetObjectItem(g, "entity_group");
        if (!label) label = cJSON_GetObjectItem(g, "entity");
        const char *gl = cJSON_GetStringValue(label), *gw = cJSON_GetStringValue(cJSON_GetObjectItem(g, "word"));
        int gs = cJSON_GetObjectItem(g, "start")->valueint, ge = cJSON_GetObjectItem(g, "end")->valueint;
        double score = cJSON_GetObjectItem(g, "score")->valuedouble;
        const cJSON *index = cJSON_GetObjectItem(g, "index");
        CHECK_MSG(gl && strcmp(e->label, gl) == 0, "%s %s text %zu entity %d: label %s, golden %s", model, run, text_i,
                  i, e->label, gl);
        CHECK_MSG(gw && strcmp(e->word, gw) == 0, "%s %s text %zu entity %d: word '%s', golden '%s'", model, run,
                  text_i, i, e->word, gw);
        CHECK_MSG(e->start == gs && e->end == ge, "%s %s text %zu entity %d: [%lld,%lld), golden [%d,%d)", model,
                  run, text_i, i, (long long)e->start, (long long)e->end, gs, ge);
        CHECK_MSG(fabs(e->score - score) <= 1e-4, "%s %s text %zu entity %d: score %.7f, golden %.7f", model, run,
                  text_i, i, e->score, score);
        if (index)
            CHECK_MSG(e->index == index->valueint, "%s %s text %zu entity %d: index %lld, golden %d", model, run,
                      text_i, i, (long long)e->index, index->valueint);
        if (check_failures - fails_before > 8) break; /* one broken text should not flood the log */
    }
    if (check_failures > fails_before) n_mismatch_reports++;
}

static void run_model(const char *name) {
    char dir[OPENMED_PATH_MAX];
    cJSON *golden = golden_load(name, dir, sizeof dir);
    if (!golden) return;
    openmed_error err = {0};

    openmed_model *model = NULL;
    openmed_model_options mo;
    openmed_model_options_init(&mo);
    mo.device = "cpu";
    mo.num_threads = 1;
    openmed_status st = openmed_model_load(dir, &mo, &model, &err);
    CHECK_MSG(st == OPENMED_OK, "%s: %s", name, err.message);
    if (st != OPENMED_OK) {
        cJSON_Delete(golden);
        return;
    }
    const cJSON *texts = cJSON_GetObjectItem(golden, "texts");
    int n_texts = cJSON_GetArraySize(texts);
    const char **text = calloc((size_t)n_texts, sizeof *text);
    for (int i = 0; i < n_texts; i++)
        text[i] = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(texts, i), "text"));

    for (size_t k = 0; k < sizeof runs / sizeof runs[0]; k++) {
        openmed_pipeline_options po;
        openmed_pipeline_options_init(&po);
        po.aggregation = runs[k].aggregation;
        po.stride = runs[k].stride;
        po.batch_size = 8;
        po.long_text = OPENMED_LONG_TEXT_HF; /* the goldens are transformers' own outputs */
        openmed_pipeline *p = NULL;
        st = openmed_pipeline_create(model, &po, &p, &err);
        CHECK_MSG(st == OPENMED_OK, "%s %s: %s", name, runs[k].key, err.message);
        if (st != OPENMED_OK) continue;
        openmed_result *res = NULL;
        st = openmed_pipeline_run(p, text, (size_t)n_texts, &res, &err);
        CHECK_MSG(st == OPENMED_OK, "%s %s: %s", name, runs[k].key, err.message);
        for (int i = 0; st == OPENMED_OK && i < n_texts; i++) {
            const cJSON *pipes = cJSON_GetObjectItem(cJSON_GetArrayItem(texts, i), "pipelines");
            compare(name, runs[k].key, (size_t)i, &res[i], cJSON_GetObjectItem(pipes, runs[k].key));
        }
        openmed_results_free(res, st == OPENMED_OK ? (size_t)n_texts : 0);
        openmed_pipeline_free(p);
    }

    /* The batched golden: the first 8 texts in one call (batch_size 4 there); here with batch
     * sizes 4 and 1, which must agree. */
    const cJSON *batch = cJSON_GetObjectItem(golden, "batch_simple_first8");
    int n_batch = cJSON_GetArraySize(batch);
    for (int bs = 1; bs <= 4; bs += 3) {
        openmed_pipeline_options po;
        openmed_pipeline_options_init(&po);
        po.batch_size = bs;
        po.long_text = OPENMED_LONG_TEXT_HF;
        openmed_pipeline *p = NULL;
        st = openmed_pipeline_create(model, &po, &p, &err);
        CHECK_MSG(st == OPENMED_OK, "%s batch: %s", name, err.message);
        if (st != OPENMED_OK) continue;
        openmed_result *res = NULL;
        st = openmed_pipeline_run(p, text, (size_t)n_batch, &res, &err);
        CHECK_MSG(st == OPENMED_OK, "%s batch: %s", name, err.message);
        for (int i = 0; st == OPENMED_OK && i < n_batch; i++)
            compare(name, bs == 1 ? "batch_simple_first8 (batch 1)" : "batch_simple_first8", (size_t)i, &res[i],
                    cJSON_GetArrayItem(batch, i));
        openmed_results_free(res, st == OPENMED_OK ? (size_t)n_batch : 0);
        openmed_pipeline_free(p);
    }
    free(text);
    openmed_model_free(model);
    cJSON_Delete(golden);
}

int main(int argc, char **argv) {
    int ran = 0;
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
        if (argc < 2 || strcmp(argv[1], models[i]) == 0) {
            run_model(models[i]);
            ran++;
        }
    CHECK_MSG(ran > 0, "no golden model named \"%s\"", argc > 1 ? argv[1] : "");
    if (n_mismatch_reports) fprintf(stderr, "%d text/run pairs differ from the goldens\n", n_mismatch_reports);
    return check_finish("test_pipeline_golden");
}
