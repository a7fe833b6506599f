/* test_analyze_text.c: openmed_analyze (OpenMed's analyze_text) with every golden model and the
 * bundled ones on ACI clinical notes: entities are whole words (where Hugging Face's pipeline
 * gives word fragments), sorted, disjoint and equal to their text slice; a note gives the same
 * entities as its chunks and its paragraphs analysed alone, and several notes joined give the
 * same as each note alone; a sentence longer than many windows loses nothing at window edges. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/file.h"
#include "pipeline/text_chars.h"
#include "pipeline/text_index.h"

static const char *const models[] = {
    OM_FIXTURES "/hf/models/bert-cased",      OM_FIXTURES "/hf/models/bert-uncased",
    OM_FIXTURES "/hf/models/distilbert-uncased", OM_FIXTURES "/hf/models/electra-cased",
    OM_FIXTURES "/hf/models/roberta",         OM_FIXTURES "/hf/models/xlm-roberta",
    OM_FIXTURES "/hf/models/deberta-v3",      OM_FIXTURES "/hf/models/deberta-v2-nobucket",
    OM_FIXTURES "/hf/models/modernbert",      OM_FIXTURES "/hf/models/longformer",
    OM_FIXTURES "/hf/models/privacy-filter",  OM_SOURCE_DIR "/models/disease-ner",
    OM_SOURCE_DIR "/models/pii",
};

#define MAX_NOTES 8
static char *notes[MAX_NOTES];
static size_t n_notes;

static void load_notes(void) {
    openmed_error err = {0};
    char *data = NULL;
    size_t size = 0;
    CHECK(om_read_file(OM_FIXTURES "/clinical/aci_notes.jsonl", 0, &data, &size, &err) == OPENMED_OK);
    for (char *line = data, *next; line && *line && n_notes < MAX_NOTES; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        cJSON *j = cJSON_Parse(line);
        if (j) notes[n_notes++] = strdup(cJSON_GetStringValue(cJSON_GetObjectItem(j, "text")));
        cJSON_Delete(j);
    }
    free(data);
    CHECK_INT(n_notes, 3);
}

/* Does [start, end) cut a word of a spaced script at either edge? */
static int cuts_word(const uint32_t *cp, int64_t n, int64_t start, int64_t end) {
#define INWORD(c) (om_char_is_word(c) && !om_char_is_unspaced(c))
    if (start > 0 && INWORD(cp[start - 1]) && INWORD(cp[start])) return 1;
    if (end < n && INWORD(cp[end - 1]) && INWORD(cp[end])) return 1;
    return 0;
#undef INWORD
}

static uint32_t *code_points(const char *text, om_text_index *ix) {
    openmed_error err = {0};
    CHECK(om_text_index_init(ix, text, strlen(text), "text", &err) == OPENMED_OK);
    uint32_t *cp = malloc((size_t)(ix->n_cp + 1) * sizeof *cp);
    for (int64_t i = 0; i < ix->n_cp; i++) cp[i] = (uint32_t)om_text_codepoint(ix, i);
    return cp;
}

/* The invariants of one analysis of `text`; returns the number of entities checked. */
static void check_entities(const char *model, const char *text, const openmed_analysis *a) {
    om_text_index ix;
    uint32_t *cp = code_points(text, &ix);
    for (size_t i = 0; i < a->n_entities; i++) {
        const openmed_text_entity *e = &a->entities[i];
        CHECK_MSG(e->start >= 0 && e->start < e->end && e->end <= ix.n_cp, "%s: entity %zu [%lld, %lld)", model, i,
                  (long long)e->start, (long long)e->end);
        if (!(e->start >= 0 && e->start < e->end && e->end <= ix.n_cp)) continue;
        if (i) CHECK_MSG(e->start >= a->entities[i - 1].end, "%s: entities %zu and %zu overlap", model, i - 1, i);
        size_t b0, blen;
        om_text_slice(&ix, e->start, e->end, &b0, &blen);
        CHECK_MSG(strlen(e->text) == blen && memcmp(e->text, text + b0, blen) == 0, "%s: text '%s' is not its slice",
                  model, e->text);
        CHECK_MSG(!om_char_is_space(cp[e->start]) && !om_char_is_space(cp[e->end - 1]), "%s: '%s' not trimmed", model,
                  e->text);
        CHECK_MSG(!cuts_word(cp, ix.n_cp, e->start, e->end), "%s: '%s' [%lld, %lld) cuts a word", model, e->text,
                  (long long)e->start, (long long)e->end);
        CHECK_MSG(!(strlen(e->label) > 2 && e->label[1] == '-' && strchr("BIES", e->label[0])), "%s: label %s", model,
                  e->label);
        for (int64_t k = e->start; k < e->end; k++)
            CHECK_MSG(cp[k] != '\n' && cp[k] != '\r', "%s: '%s' crosses a line", model, e->text);
        if (a->sentence_detection) {
            CHECK(e->sentence >= 0 && (size_t)e->sentence < a->n_sentences);
            if (e->sentence >= 0 && (size_t)e->sentence < a->n_sentences)
                CHECK(e->start >= a->sentences[e->sentence].start && e->end <= a->sentences[e->sentence].end);
        }
    }
    free(cp);
    om_text_index_free(&ix);
}

/* Entities of `whole` in [start, end) equal `part`'s shifted by `start` (code points). */
static void same_entities(const char *model, const char *what, const openmed_analysis *whole, int64_t start,
                          int64_t end, const openmed_analysis *part) {
    size_t k = 0, matched = 0;
    for (size_t i = 0; i < whole->n_entities; i++) {
        const openmed_text_entity *e = &whole->entities[i];
        if (e->start < start || e->end > end) continue;
        CHECK_MSG(k < part->n_entities, "%s %s: '%s' at %lld missing from the part", model, what, e->text,
                  (long long)e->start);
        if (k >= part->n_entities) break;
        const openmed_text_entity *p = &part->entities[k++];
        /* scores agree to float rounding: packing other texts into a forward pass changes the sums */
        int same = p->start + start == e->start && p->end + start == e->end && !strcmp(p->label, e->label) &&
                   !strcmp(p->text, e->text) && fabs((double)p->confidence - (double)e->confidence) < 1e-5;
        CHECK_MSG(same, "%s %s: whole '%s' %s [%lld, %lld) %.7g vs part '%s' %s [%lld, %lld) %.7g", model, what,
                  e->text, e->label, (long long)e->start, (long long)e->end, (double)e->confidence, p->text, p->label,
                  (long long)(p->start + start), (long long)(p->end + start), (double)p->confidence);
        matched += same;
    }
    CHECK_MSG(k == part->n_entities, "%s %s: the part has %zu entities, the whole %zu there", model, what,
              part->n_entities, k);
}

/* Code-point offset of byte b in text. */
static int64_t cp_at(const char *text, size_t b) {
    int64_t n = 0;
    for (size_t i = 0; i < b; i++) n += ((unsigned char)text[i] & 0xC0) != 0x80;
    return n;
}

/* A copy of text's code points [s, e). */
static char *cp_slice(const char *text, int64_t s, int64_t e) {
    om_text_index ix;
    openmed_error err = {0};
    CHECK(om_text_index_init(&ix, text, strlen(text), "text", &err) == OPENMED_OK);
    size_t b0, blen;
    om_text_slice(&ix, s, e, &b0, &blen);
    om_text_index_free(&ix);
    return strndup(text + b0, blen);
}

static openmed_analysis *analyze1(openmed_pipeline *p, const char *text) {
    openmed_analysis *a = NULL;
    openmed_error err = {0};
    CHECK_MSG(openmed_analyze(p, &text, 1, NULL, &a, &err) == OPENMED_OK, "%s", err.message);
    return a;
}

/* HF's pipeline gives entities that cut words on these notes (so the whole-word check means
 * something); counts them. */
static size_t hf_fragments(openmed_pipeline *p, const char *text) {
    openmed_result *r = NULL;
    openmed_error err = {0};
    if (openmed_pipeline_run(p, &text, 1, &r, &err) != OPENMED_OK) return 0;
    om_text_index ix;
    uint32_t *cp = code_points(text, &ix);
    size_t n = 0;
    for (size_t i = 0; i < r->n_entities; i++)
        if (r->entities[i].start < r->entities[i].end)
            n += cuts_word(cp, ix.n_cp, r->entities[i].start, r->entities[i].end);
    free(cp);
    om_text_index_free(&ix);
    openmed_results_free(r, 1);
    return n;
}

static void test_model(const char *path, size_t *fragments, size_t *entities) {
    openmed_error err = {0};
    openmed_model *m = NULL;
    openmed_model_options mo;
    openmed_model_options_init(&mo);
    mo.device = "cpu";
    if (openmed_model_load(path, &mo, &m, &err) != OPENMED_OK) {
        CHECK_MSG(0, "%s: %s", path, err.message);
        return;
    }
    openmed_pipeline_options po;
    openmed_pipeline_options_init(&po);
    po.decoder = openmed_model_default_decoder(m);
    openmed_pipeline *p = NULL;
    CHECK(openmed_pipeline_create(m, &po, &p, &err) == OPENMED_OK);
    const char *name = strrchr(path, '/') + 1;

    /* All notes in one call equal each note alone; invariants; chunks and paragraphs alone. */
    openmed_analysis *all = NULL;
    CHECK_MSG(openmed_analyze(p, (const char *const *)notes, n_notes, NULL, &all, &err) == OPENMED_OK, "%s", err.message);
    for (size_t i = 0; all && i < n_notes; i++) {
        const openmed_analysis *a = &all[i];
        check_entities(name, notes[i], a);
        CHECK(a->sentence_detection && a->medical_tokens && a->n_sentences > 10 && a->n_chunks > 1);
        *entities += a->n_entities;
        *fragments += hf_fragments(p, notes[i]);
        openmed_analysis *alone = analyze1(p, notes[i]);
        if (alone) same_entities(name, "batched", a, 0, INT64_MAX, alone);
        openmed_analyses_free(alone, 1);
        /* every chunk alone, in one call */
        char **parts = calloc(a->n_chunks, sizeof *parts);
        for (size_t c = 0; c < a->n_chunks; c++) parts[c] = cp_slice(notes[i], a->chunks[c].start, a->chunks[c].end);
        openmed_analysis *pa = NULL;
        CHECK(openmed_analyze(p, (const char *const *)parts, a->n_chunks, NULL, &pa, &err) == OPENMED_OK);
        for (size_t c = 0; pa && c < a->n_chunks; c++)
            same_entities(name, "chunk", a, a->chunks[c].start, a->chunks[c].end, &pa[c]);
        openmed_analyses_free(pa, a->n_chunks);
        for (size_t c = 0; c < a->n_chunks; c++) free(parts[c]);
        free(parts);
        /* every paragraph (split at blank lines) alone, in one call */
        const char *t = notes[i];
        size_t b = 0, len = strlen(t), n_para = 0;
        char *para[256];
        int64_t para_start[256], para_end[256];
        while (b < len && n_para < 256) {
            const char *brk = strstr(t + b, "\n\n");
            size_t e = brk ? (size_t)(brk - t) : len;
            para[n_para] = strndup(t + b, e - b);
            para_start[n_para] = cp_at(t, b);
            para_end[n_para] = cp_at(t, e);
            n_para++;
            b = e + 2;
        }
        CHECK(n_para > 5);
        CHECK(openmed_analyze(p, (const char *const *)para, n_para, NULL, &pa, &err) == OPENMED_OK);
        for (size_t k = 0; pa && k < n_para; k++) same_entities(name, "paragraph", a, para_start[k], para_end[k], &pa[k]);
        openmed_analyses_free(pa, n_para);
        for (size_t k = 0; k < n_para; k++) free(para[k]);
    }

    /* Notes joined by blank lines: the same entities as each note alone. */
    size_t total = 0;
    for (size_t i = 0; i < n_notes; i++) total += strlen(notes[i]) + 2;
    char *joined = calloc(total + 1, 1);
    for (size_t i = 0; i < n_notes; i++) {
        strcat(joined, notes[i]);
        strcat(joined, "\n\n");
    }
    openmed_analysis *j = analyze1(p, joined);
    if (j && all) {
        check_entities(name, joined, j);
        int64_t off = 0;
        for (size_t i = 0; i < n_notes; i++) {
            int64_t len = cp_at(notes[i], strlen(notes[i]));
            same_entities(name, "joined", j, off, off + len, &all[i]);
            off += len + 2;
        }
    }
    openmed_analyses_free(j, 1);

    /* One sentence far longer than a window: read in overlapping windows, nothing cut or doubled,
     * entities up to its end. */
    size_t big = 0;
    char *run = calloc(64 * 1024, 1);
    for (size_t i = 0; i < n_notes; i++)
        for (const char *c = notes[i]; *c && big + 1 < 64 * 1024; c++)
            if (*c != '.' && *c != '!' && *c != '?' && *c != '\n' && *c != '\r') run[big++] = *c;
            else if (*c == '\n' && big && run[big - 1] != ' ') run[big++] = ' ';
    openmed_analysis *r = analyze1(p, run);
    if (r) {
        check_entities(name, run, r);
        CHECK_INT(r->n_sentences, 1);
        if (r->max_length < (int64_t)big / 16)
            CHECK_MSG(r->n_windows > 2, "%s: %lld windows", name, (long long)r->n_windows);
        CHECK_MSG(r->n_entities == 0 || r->entities[r->n_entities - 1].end > (int64_t)big / 2,
                  "%s: last entity ends at %lld of %zu", name,
                  (long long)(r->n_entities ? r->entities[r->n_entities - 1].end : 0), big);
    }
    openmed_analyses_free(r, 1);
    free(run);
    free(joined);
    openmed_analyses_free(all, n_notes);
    openmed_pipeline_free(p);
    openmed_model_free(m);
}

static void test_options(void) {
    openmed_error err = {0};
    openmed_model *m = NULL;
    openmed_model_options mo;
    openmed_model_options_init(&mo);
    mo.device = "cpu";
    CHECK(openmed_model_load(OM_SOURCE_DIR "/models/disease-ner", &mo, &m, &err) == OPENMED_OK);
    openmed_pipeline *p = NULL;
    CHECK(openmed_pipeline_create(m, NULL, &p, &err) == OPENMED_OK);
    const char *text = "The patient has cystic fibrosis.";
    openmed_analysis *a = NULL;
    CHECK(openmed_analyze(p, &text, 1, NULL, &a, &err) == OPENMED_OK);
    CHECK(a && a->n_entities == 1);
    if (a && a->n_entities == 1) {
        CHECK_STR(a->entities[0].text, "cystic fibrosis");
        CHECK_STR(a->entities[0].label, "DISEASE");
        CHECK_INT(a->entities[0].start, 16);
        CHECK_INT(a->entities[0].sentence, 0);
    }
    openmed_analyze_options o;
    openmed_analyze_options_init(&o);
    o.confidence_threshold = 1.0f;
    openmed_analysis *none = NULL;
    CHECK(openmed_analyze(p, &text, 1, &o, &none, &err) == OPENMED_OK);
    CHECK(none && none->n_entities == 0);
    openmed_analyses_free(none, 1);
    /* without sentences: one chunk, same entity */
    openmed_analyze_options_init(&o);
    o.sentence_detection = 0;
    o.medical_tokens = 0;
    CHECK(openmed_analyze(p, &text, 1, &o, &none, &err) == OPENMED_OK);
    CHECK(none && none->n_chunks == 1 && none->n_sentences == 0 && !none->sentence_detection);
    if (none && a && none->n_entities == 1 && a->n_entities == 1) CHECK_STR(none->entities[0].text, "cystic fibrosis");
    if (none && none->n_entities) CHECK_INT(none->entities[0].sentence, -1);
    openmed_analyses_free(none, 1);
    openmed_analyses_free(a, 1);
    /* group_entities joins same-label neighbours of a list into one whole-word span */
    const char *list = "She reports fevers, chills, dizziness, nausea, vomiting.";
    for (int g = 0; g < 2; g++) {
        openmed_analyze_options_init(&o);
        o.group_entities = g;
        CHECK(openmed_analyze(p, &list, 1, &o, &none, &err) == OPENMED_OK);
        CHECK_MSG(none && none->n_entities == (g ? 1u : 5u), "group_entities %d: %zu entities", g,
                  none ? none->n_entities : 0);
        if (none && g && none->n_entities == 1) {
            CHECK_STR(none->entities[0].text, "fevers, chills, dizziness, nausea, vomiting");
            CHECK_INT(none->entities[0].start, 12);
        }
        openmed_analyses_free(none, 1);
    }
    /* chunk and window edges: a disease named in each of 20 sentences (4 chunks of at most 6) and 300
     * times in one sentence (read in overlapping windows) is found exactly once every time, an
     * entity inside each mention and none elsewhere, wherever the edges fall */
    for (int longrun = 0; longrun < 2; longrun++) {
        const char *unit = longrun ? "cystic fibrosis, " : "The patient has cystic fibrosis. ";
        const int64_t n_rep = longrun ? 300 : 20, unit_len = (int64_t)strlen(unit), at = longrun ? 0 : 16, len = 15;
        char *doc = calloc((size_t)(n_rep * unit_len + 1), 1);
        for (int64_t k = 0; k < n_rep; k++) memcpy(doc + k * unit_len, unit, (size_t)unit_len);
        const char *docp = doc;
        openmed_analysis *ed = NULL;
        CHECK(openmed_analyze(p, &docp, 1, NULL, &ed, &err) == OPENMED_OK); /* ASCII: bytes are code points */
        if (ed) {
            CHECK_MSG(longrun ? ed->n_windows > 2 : ed->n_chunks > 2, "%s: %zu chunks, %lld windows",
                      longrun ? "one sentence" : "sentences", ed->n_chunks, (long long)ed->n_windows);
            int64_t *hits = calloc((size_t)n_rep, sizeof *hits);
            size_t outside = 0;
            for (size_t i = 0; i < ed->n_entities; i++) {
                int64_t k = ed->entities[i].start / unit_len, s0 = k * unit_len + at;
                if (ed->entities[i].start >= s0 && ed->entities[i].end <= s0 + len) hits[k]++;
                else outside++;
            }
            size_t wrong = 0;
            for (int64_t k = 0; k < n_rep; k++) wrong += hits[k] != 1;
            CHECK_MSG(wrong == 0 && outside == 0, "%s: %zu mentions not found exactly once, %zu entities elsewhere",
                      longrun ? "one sentence" : "sentences", wrong, outside);
            free(hits);
        }
        openmed_analyses_free(ed, 1);
        free(doc);
    }
    /* bad input: clear errors, nothing returned */
    const char *bad = "bad \xff byte";
    a = (openmed_analysis *)&err;
    CHECK(openmed_analyze(p, &bad, 1, NULL, &a, &err) == OPENMED_ERR_INVALID_ARGUMENT && a == NULL);
    CHECK(strstr(err.message, "text 0") && strstr(err.message, "byte 4"));
    openmed_analyze_options_init(&o);
    o.confidence_threshold = 1.5f;
    CHECK(openmed_analyze(p, &text, 1, &o, &a, &err) == OPENMED_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "confidence_threshold") != NULL);
    openmed_analyze_options_init(&o);
    o.max_chunk_sentences = 0;
    CHECK(openmed_analyze(p, &text, 1, &o, &a, &err) == OPENMED_ERR_INVALID_ARGUMENT);
    /* empty and blank texts: no entities, no error */
    const char *blank[2] = {"", " \n\n "};
    CHECK(openmed_analyze(p, blank, 2, NULL, &a, &err) == OPENMED_OK);
    CHECK(a && a[0].n_entities == 0 && a[1].n_entities == 0);
    openmed_analyses_free(a, 2);
    openmed_pipeline_free(p);
    openmed_model_free(m);
}

int main(void) {
    load_notes();
    size_t fragments = 0, entities = 0;
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) test_model(models[i], &fragments, &entities);
    printf("HF pipeline entities cutting words: %zu; analyze entities (all whole words): %zu\n", fragments, entities);
    CHECK(fragments > 100);
    CHECK(entities > 100);
    test_options();
    for (size_t i = 0; i < n_notes; i++) free(notes[i]);
    return check_finish("test_analyze_text");
}
