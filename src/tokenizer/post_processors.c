/* post_processors.c: HF post-processors (TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel,
 * Sequence): the single-sequence special-token layout and ByteLevel offset trimming. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/internal.h"

static openmed_status piece_special(om_template_piece *p, const char *tok, int32_t id, openmed_error *err) {
    p->is_sequence = 0;
    p->count = 1;
    p->ids = malloc(sizeof *p->ids);
    p->tokens = calloc(1, sizeof *p->tokens);
    if (!p->ids || !p->tokens || !(p->tokens[0] = om_strdup(tok))) return om_fail(err, OPENMED_ERR_NO_MEMORY, "post_processor");
    p->ids[0] = id;
    return OPENMED_OK;
}

/* ["[CLS]", 101] */
static openmed_status pair_token(const cJSON *j, const char *what, const char **tok, int32_t *id, openmed_error *err) {
    const cJSON *t = cJSON_GetArrayItem(j, 0), *i = cJSON_GetArrayItem(j, 1);
    if (!cJSON_IsArray(j) || !cJSON_IsString(t) || !cJSON_IsNumber(i) || i->valuedouble < 0 || i->valuedouble > 2147483647.0)
        return om_fail(err, OPENMED_ERR_FORMAT, "post_processor: \"%s\" must be [token, id]", what);
    *tok = t->valuestring;
    *id = (int32_t)i->valuedouble;
    return OPENMED_OK;
}

static openmed_status cls_sep(om_postprocessor *p, const cJSON *j, openmed_error *err) {
    const char *cls, *sep;
    int32_t cid, sid;
    openmed_status st = pair_token(cJSON_GetObjectItemCaseSensitive(j, "cls"), "cls", &cls, &cid, err);
    if (!st) st = pair_token(cJSON_GetObjectItemCaseSensitive(j, "sep"), "sep", &sep, &sid, err);
    if (st) return st;
    p->single = calloc(3, sizeof *p->single);
    if (!p->single) return om_fail(err, OPENMED_ERR_NO_MEMORY, "post_processor");
    p->nsingle = 3;
    if ((st = piece_special(&p->single[0], cls, cid, err))) return st;
    p->single[1].is_sequence = 1;
    return piece_special(&p->single[2], sep, sid, err);
}

static openmed_status template_parse(om_postprocessor *p, const cJSON *j, openmed_error *err) {
    const cJSON *single = cJSON_GetObjectItemCaseSensitive(j, "single");
    const cJSON *specials = cJSON_GetObjectItemCaseSensitive(j, "special_tokens");
    if (!cJSON_IsArray(single)) return om_fail(err, OPENMED_ERR_FORMAT, "post_processor TemplateProcessing: \"single\" must be a list");
    int n = cJSON_GetArraySize(single);
    p->single = calloc(n ? (size_t)n : 1, sizeof *p->single);
    if (!p->single) return om_fail(err, OPENMED_ERR_NO_MEMORY, "post_processor");
    const cJSON *e;
    cJSON_ArrayForEach(e, single) {
        om_template_piece *pc = &p->single[p->nsingle++];
        const cJSON *seq = cJSON_GetObjectItemCaseSensitive(e, "Sequence");
        const cJSON *sp = cJSON_GetObjectItemCaseSensitive(e, "SpecialToken");
        if (seq) { pc->is_sequence = 1; continue; }
        const char *name = om_json_str(sp, "id");
        if (!name) return om_fail(err, OPENMED_ERR_FORMAT, "post_processor TemplateProcessing: a \"single\" piece is neither Sequence nor SpecialToken");
        const cJSON *def = cJSON_GetObjectItemCaseSensitive(specials, name);
        const cJSON *ids = cJSON_GetObjectItemCaseSensitive(def, "ids");
        const cJSON *toks = cJSON_GetObjectItemCaseSensitive(def, "tokens");
        if (!cJSON_IsArray(ids) || !cJSON_IsArray(toks) || cJSON_GetArraySize(ids) != cJSON_GetArraySize(toks))
            return om_fail(err, OPENMED_ERR_FORMAT,
                           "post_processor TemplateProcessing: special token \"%.64s\" is used but not defined in special_tokens", name);
        int k = cJSON_GetArraySize(ids);
        pc->count = (size_t)k;
        pc->ids = calloc(k ? (size_t)k : 1, sizeof *pc->ids);
        pc->tokens = calloc(k ? (size_t)k : 1, sizeof *pc->tokens);
        if (!pc->ids || !pc->tokens) return om_fail(err, OPENMED_ERR_NO_MEMORY, "post_processor");
        for (int q = 0; q < k; q++) {
            const cJSON *iv = cJSON_GetArrayItem(ids, q), *tv = cJSON_GetArrayItem(toks, q);
            if (!cJSON_IsNumber(iv) || iv->valuedouble < 0 || iv->valuedouble > 2147483647.0 || !cJSON_IsString(tv))
                return om_fail(err, OPENMED_ERR_FORMAT, "post_processor TemplateProcessing: bad ids/tokens for \"%.64s\"", name);
            pc->ids[q] = (int32_t)iv->valuedouble;
            if (!(pc->tokens[q] = om_strdup(tv->valuestring))) return om_fail(err, OPENMED_ERR_NO_MEMORY, "post_processor");
        }
    }
    return OPENMED_OK;
}

openmed_status om_postprocessor_parse(om_postprocessor *p, const cJSON *j, openmed_error *err) {
    memset(p, 0, sizeof *p);
    const char *type = om_json_str(j, "type");
    if (!type) return om_fail(err, OPENMED_ERR_FORMAT, "post_processor: missing \"type\"");
    if (!strcmp(type, "TemplateProcessing")) {
        p->type = OM_POST_TEMPLATE;
        return template_parse(p, j, err);
    }
    if (!strcmp(type, "BertProcessing")) {
        p->type = OM_POST_BERT;
        return cls_sep(p, j, err);
    }
    if (!strcmp(type, "RobertaProcessing")) {
        p->type = OM_POST_ROBERTA;
        p->trim_offsets = om_json_bool(j, "trim_offsets", 1);
        p->add_prefix_space = om_json_bool(j, "add_prefix_space", 1);
        return cls_sep(p, j, err);
    }
    if (!strcmp(type, "ByteLevel")) {
        p->type = OM_POST_BYTELEVEL;
        p->trim_offsets = om_json_bool(j, "trim_offsets", 1);
        p->add_prefix_space = om_json_bool(j, "add_prefix_space", 1);
        return OPENMED_OK;
    }
    if (!strcmp(type, "Sequence")) {
        p->type = OM_POST_SEQUENCE;
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(j, "processors");
        if (!cJSON_IsArray(list)) return om_fail(err, OPENMED_ERR_FORMAT, "post_processor Sequence: missing \"processors\" list");
        int k = cJSON_GetArraySize(list);
        p->children = calloc(k ? (size_t)k : 1, sizeof *p->children);
        if (!p->children) return om_fail(err, OPENMED_ERR_NO_MEMORY, "post_processor");
        const cJSON *c;
        cJSON_ArrayForEach(c, list) {
            openmed_status st = om_postprocessor_parse(&p->children[p->nchildren++], c, err);
            if (st) return st;
        }
        return OPENMED_OK;
    }
    return om_fail(err, OPENMED_ERR_UNSUPPORTED, "unknown post_processor type \"%s\"", type);
}

void om_postprocessor_free(om_postprocessor *p) {
    if (!p) return;
    for (size_t i = 0; i < p->nsingle; i++) {
        for (size_t q = 0; p->single[i].tokens && q < p->single[i].count; q++) /* NULL: its allocation failed */
            free(p->single[i].tokens[q]);
        free(p->single[i].tokens);
        free(p->single[i].ids);
    }
    free(p->single);
    for (size_t i = 0; i < p->nchildren; i++) om_postprocessor_free(&p->children[i]);
    free(p->children);
    memset(p, 0, sizeof *p);
}

/* HF byte_level::process_offsets: leading/trailing 'Ġ' (or whitespace) chars leave the offsets. */
static void trim(om_toks *t, int add_prefix_space) {
    for (size_t i = 0; i < t->count; i++) {
        om_tok *k = &t->items[i];
        const char *s = t->strs.data + k->str_off;
        size_t n = k->str_len, lead = 0, trail = 0, p = 0, len;
        while (p < n) {
            uint32_t c = om_utf8_decode(s, p, &len);
            if (c != 0x120 && !om_uc_is_whitespace(c)) break;
            lead++;
            p += len;
        }
        size_t e = n;
        while (e > 0) {
            size_t b = e - 1;
            while (b > 0 && ((unsigned char)s[b] & 0xC0) == 0x80) b--;
            uint32_t c = om_utf8_decode(s, b, &len);
            if (c != 0x120 && !om_uc_is_whitespace(c)) break;
            trail++;
            e = b;
        }
        if (!lead && !trail) continue;
        if (lead) {
            int is_first = i == 0 || k->start == 0;
            if (is_first && add_prefix_space && lead == 1) lead = 0;
            size_t ns = k->start + lead;
            k->start = (uint32_t)(ns < k->end ? ns : k->end);
        }
        if (trail && k->end >= trail) {
            size_t ne = k->end - trail;
            k->end = (uint32_t)(ne > k->start ? ne : k->start);
        }
    }
}

void om_postprocessor_offsets(const om_postprocessor *p, om_toks *t) {
    if (!p) return;
    if ((p->type == OM_POST_ROBERTA || p->type == OM_POST_BYTELEVEL) && p->trim_offsets) trim(t, p->add_prefix_space);
    if (p->type == OM_POST_SEQUENCE)
        for (size_t i = 0; i < p->nchildren; i++) om_postprocessor_offsets(&p->children[i], t);
}

const om_postprocessor *om_postprocessor_template(const om_postprocessor *p) {
    if (!p) return NULL;
    if (p->nsingle) return p;
    for (size_t i = p->nchildren; i-- > 0;) {
        const om_postprocessor *t = om_postprocessor_template(&p->children[i]);
        if (t) return t;
    }
    return NULL;
}
