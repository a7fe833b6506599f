/* serve_request.c: request bodies of `openmed serve`: a strict RFC 8259 scan (cJSON alone accepts
 * trailing data, duplicate keys, leading zeros, raw control characters and "\u0000"), then cJSON for
 * the tree, then each route's fields checked by name against OpenMed's request schemas. */
#include "serve_request.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

static int fail(om_request_error *err, int status, const char *code, const char *type, const char *field,
                size_t offset, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static int fail(om_request_error *err, int status, const char *code, const char *type, const char *field,
                size_t offset, const char *fmt, ...) {
    err->status = status;
    err->code = code;
    err->type = type;
    err->offset = offset;
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---------------------------------------------------------------- strict JSON scan */

typedef struct scan {
    const unsigned char *s;
    size_t n, i;
    om_request_error *err;
} scan;

static int bad_json(scan *j, const char *what) {
    return fail(j->err, 400, "invalid_json", "json_invalid", NULL, j->i, "request body is not valid JSON: %s at byte %zu",
                what, j->i);
}

static int bad_encoding(scan *j, size_t at, const char *what) {
    return fail(j->err, 400, "invalid_encoding", "invalid_encoding", NULL, at, "request body: %s at byte %zu", what, at);
}

static void skip_ws(scan *j) {
    while (j->i < j->n && (j->s[j->i] == ' ' || j->s[j->i] == '\t' || j->s[j->i] == '\n' || j->s[j->i] == '\r')) j->i++;
}

/* Length of the well-formed UTF-8 sequence at s[0..n), 0 if there is none (overlong forms,
 * surrogates and code points past U+10FFFF are not well-formed). */
static size_t utf8_seq(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    if (c < 0x80) return 1;
    size_t k = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (!k || k > n || (k == 2 && c < 0xC2) || (k == 4 && c > 0xF4)) return 0;
    for (size_t q = 1; q < k; q++)
        if ((s[q] & 0xC0) != 0x80) return 0;
    if (k == 3 && ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0))) return 0;
    if (k == 4 && ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90))) return 0;
    return k;
}

static int hex4(const unsigned char *p, unsigned *out) {
    unsigned v = 0;
    for (int q = 0; q < 4; q++) {
        int c = p[q], d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return 0;
        v = v * 16 + (unsigned)d;
    }
    *out = v;
    return 1;
}

static int scan_string(scan *j) {
    j->i++; /* the opening quote */
    while (j->i < j->n) {
        unsigned c = j->s[j->i];
        if (c == '"') {
            j->i++;
            return 0;
        }
        if (c < 0x20) return c ? bad_json(j, "a control character inside a string")
                               : bad_encoding(j, j->i, "a NUL byte");
        if (c == '\\') {
            if (j->i + 1 >= j->n) break;
            unsigned e = j->s[j->i + 1];
            if (e != 'u') {
                if (!e || !strchr("\"\\/bfnrt", (int)e)) return bad_json(j, "an invalid escape");
                j->i += 2;
                continue;
            }
            unsigned u, lo;
            if (j->i + 6 > j->n || !hex4(j->s + j->i + 2, &u)) return bad_json(j, "an invalid \\u escape");
            if (u == 0) return bad_encoding(j, j->i, "a NUL character (\\u0000)");
            if (u >= 0xDC00 && u <= 0xDFFF) return bad_encoding(j, j->i, "a lone low surrogate");
            if (u >= 0xD800 && u <= 0xDBFF) {
                if (j->i + 12 > j->n || j->s[j->i + 6] != '\\' || j->s[j->i + 7] != 'u' || !hex4(j->s + j->i + 8, &lo) ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return bad_encoding(j, j->i, "a lone high surrogate");
                j->i += 12;
            } else {
                j->i += 6;
            }
            continue;
        }
        size_t k = utf8_seq(j->s + j->i, j->n - j->i);
        if (!k) return bad_encoding(j, j->i, "invalid UTF-8");
        j->i += k;
    }
    return bad_json(j, "an unterminated string");
}

static int scan_number(scan *j) {
    size_t i = j->i;
    const unsigned char *s = j->s;
    if (i < j->n && s[i] == '-') i++;
    if (i >= j->n || !isdigit(s[i])) return bad_json(j, "an invalid number");
    if (s[i] == '0') {
        i++;
        if (i < j->n && isdigit(s[i])) return bad_json(j, "a number with a leading zero");
    } else {
        while (i < j->n && isdigit(s[i])) i++;
    }
    if (i < j->n && s[i] == '.') {
        i++;
        if (i >= j->n || !isdigit(s[i])) return bad_json(j, "an invalid number");
        while (i < j->n && isdigit(s[i])) i++;
    }
    if (i < j->n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < j->n && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= j->n || !isdigit(s[i])) return bad_json(j, "an invalid number");
        while (i < j->n && isdigit(s[i])) i++;
    }
    j->i = i;
    return 0;
}

static int scan_literal(scan *j, const char *word) {
    size_t k = strlen(word);
    if (j->n - j->i < k || memcmp(j->s + j->i, word, k) != 0) return bad_json(j, "an unexpected character");
    j->i += k;
    return 0;
}

static int scan_value(scan *j, int depth) {
    skip_ws(j);
    if (j->i >= j->n) return bad_json(j, "an unexpected end");
    unsigned c = j->s[j->i];
    if (c == '"') return scan_string(j);
    if (c == '-' || isdigit(c)) return scan_number(j);
    if (c == 't') return scan_literal(j, "true");
    if (c == 'f') return scan_literal(j, "false");
    if (c == 'n') return scan_literal(j, "null");
    if (c != '{' && c != '[') {
        if (!c) return bad_encoding(j, j->i, "a NUL byte");
        return bad_json(j, "an unexpected character");
    }
    if (depth >= MAX_DEPTH) return bad_json(j, "nesting deeper than 64");
    int object = c == '{';
    j->i++;
    skip_ws(j);
    if (j->i < j->n && j->s[j->i] == (object ? '}' : ']')) {
        j->i++;
        return 0;
    }
    for (;;) {
        if (object) {
            skip_ws(j);
            if (j->i >= j->n || j->s[j->i] != '"') return bad_json(j, "a missing object key");
            if (scan_string(j)) return -1;
            skip_ws(j);
            if (j->i >= j->n || j->s[j->i] != ':') return bad_json(j, "a missing ':'");
            j->i++;
        }
        if (scan_value(j, depth + 1)) return -1;
        skip_ws(j);
        if (j->i >= j->n) return bad_json(j, "an unexpected end");
        if (j->s[j->i] == ',') {
            j->i++;
            continue;
        }
        if (j->s[j->i] == (object ? '}' : ']')) {
            j->i++;
            return 0;
        }
        return bad_json(j, object ? "a missing ',' or '}'" : "a missing ',' or ']'");
    }
}

static int cmp_keys(const void *a, const void *b) {
    return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/* 1 if some object in the tree has two members with the same (decoded) name. */
static int has_duplicate_keys(const cJSON *node) {
    for (; node; node = node->next) {
        if (cJSON_IsObject(node) && node->child) {
            size_t n = 0;
            for (const cJSON *c = node->child; c; c = c->next) n++;
            if (n > 1) {
                const cJSON **keys = malloc(n * sizeof *keys);
                if (!keys) return 1; /* refuse rather than guess */
                size_t k = 0;
                for (const cJSON *c = node->child; c; c = c->next) keys[k++] = c;
                qsort(keys, n, sizeof *keys, cmp_keys);
                int dup = 0;
                for (size_t q = 1; q < n && !dup; q++) dup = !strcmp(keys[q - 1]->string, keys[q]->string);
                free(keys);
                if (dup) return 1;
            }
        }
        if ((cJSON_IsObject(node) || cJSON_IsArray(node)) && has_duplicate_keys(node->child)) return 1;
    }
    return 0;
}

cJSON *om_json_parse_strict(const char *body, size_t len, om_request_error *err) {
    scan j = {(const unsigned char *)body, len, 0, err};
    if (len >= 3 && !memcmp(body, "\xEF\xBB\xBF", 3))
        return fail(err, 400, "invalid_json", "json_invalid", NULL, 0, "request body starts with a byte-order mark"),
               NULL;
    if (scan_value(&j, 0)) return NULL;
    skip_ws(&j);
    if (j.i != len) return bad_json(&j, "trailing data after the JSON value"), NULL;
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (!root) return fail(err, 400, "invalid_json", "json_invalid", NULL, 0, "request body is not valid JSON"), NULL;
    if (has_duplicate_keys(root)) {
        cJSON_Delete(root);
        return fail(err, 400, "duplicate_key", "duplicate_key", NULL, 0,
                    "request body has an object with the same key twice"), NULL;
    }
    return root;
}

/* ---------------------------------------------------------------- fields */

/* OpenMed's PII languages, and its default PII model for each one that has one (en: the server's). */
static const struct {
    const char *lang, *model;
} languages[] = {
    {"am", "OpenMed/privacy-filter-multilingual"},
    {"as", "OpenMed/privacy-filter-multilingual"},
    {"bn", "OpenMed/OpenMed-PII-Bengali-mSuperClinical-Large-279M-v1"},
    {"en", NULL},
    {"fr", "OpenMed/OpenMed-PII-French-SuperClinical-Small-44M-v1"},
    {"de", "OpenMed/OpenMed-PII-German-SuperClinical-Small-44M-v1"},
    {"it", "OpenMed/OpenMed-PII-Italian-SuperClinical-Small-44M-v1"},
    {"es", "OpenMed/OpenMed-PII-Spanish-SuperClinical-Small-44M-v1"},
    {"nl", "OpenMed/OpenMed-PII-Dutch-SuperClinical-Large-434M-v1"},
    {"hi", "OpenMed/OpenMed-PII-Hindi-SuperClinical-Large-434M-v1"},
    {"gu", NULL},
    {"kn", NULL},
    {"ml", NULL},
    {"mr", "OpenMed/privacy-filter-multilingual"},
    {"ne", NULL},
    {"or", "OpenMed/privacy-filter-multilingual"},
    {"pa", NULL},
    {"ta", "OpenMed/privacy-filter-multilingual"},
    {"te", "OpenMed/OpenMed-PII-Telugu-SuperClinical-Large-434M-v1"},
    {"ur", NULL},
    {"pt", "OpenMed/OpenMed-PII-Portuguese-SnowflakeMed-Large-568M-v1"},
    {"ar", "OpenMed/OpenMed-PII-Arabic-SnowflakeMed-Large-568M-v1"},
    {"he", "OpenMed/privacy-filter-multilingual"},
    {"ja", "OpenMed/OpenMed-PII-Japanese-BigMed-Large-560M-v1"},
    {"tr", "OpenMed/OpenMed-PII-Turkish-SuperClinical-Small-44M-v1"},
    {"id", "OpenMed/privacy-filter-multilingual"},
    {"th", "OpenMed/privacy-filter-multilingual"},
    {"ko", "OpenMed/OpenMed-PII-Korean-NomicMed-Large-395M-v1"},
    {"ro", "OpenMed/privacy-filter-multilingual"},
    {"ru", "OpenMed/privacy-filter-multilingual"},
    {"sv", "OpenMed/privacy-filter-multilingual"},
    {"da", "OpenMed/privacy-filter-multilingual"},
    {"no", "OpenMed/privacy-filter-multilingual"},
    {"sw", "OpenMed/privacy-filter-multilingual"},
    {"zu", "OpenMed/privacy-filter-multilingual"},
    {"xh", "OpenMed/privacy-filter-multilingual"},
    {"zh", "OpenMed/OpenMed-PII-Chinese-BigMed-Large-560M-v1"},
    {"uk", "OpenMed/privacy-filter-multilingual"},
    {"cs", "OpenMed/privacy-filter-multilingual"},
    {"el", "OpenMed/privacy-filter-multilingual"},
    {"vi", "OpenMed/OpenMed-PII-Vietnamese-SuperClinical-Small-44M-v1"},
};

static int language_index(const char *lang) {
    for (size_t i = 0; i < sizeof languages / sizeof languages[0]; i++)
        if (!strcmp(languages[i].lang, lang)) return (int)i;
    return -1;
}

const char *om_serve_default_pii_model(const char *lang) {
    int i = lang ? language_index(lang) : -1;
    return i < 0 ? NULL : languages[i].model;
}

/* The fields each kind accepts (OpenMed's request schemas; texts for the batch forms). */
enum {
    F_TEXT = 1u << 0, F_TEXTS = 1u << 1, F_MODEL = 1u << 2, F_THRESHOLD = 1u << 3, F_AGGREGATION = 1u << 4,
    F_ANALYZE_EXTRA = 1u << 5, F_LANG = 1u << 6, F_PII_EXTRA = 1u << 7, F_DEID = 1u << 8, F_UNLOAD = 1u << 9,
    F_SWEEP = 1u << 10
};

static const unsigned kind_fields[OM_REQ_KIND_COUNT] = {
    [OM_REQ_ANALYZE] = F_TEXT | F_MODEL | F_THRESHOLD | F_AGGREGATION | F_ANALYZE_EXTRA,
    [OM_REQ_ANALYZE_BATCH] = F_TEXTS | F_MODEL | F_THRESHOLD | F_AGGREGATION | F_ANALYZE_EXTRA,
    [OM_REQ_PII_EXTRACT] = F_TEXT | F_MODEL | F_THRESHOLD | F_LANG | F_PII_EXTRA | F_SWEEP,
    [OM_REQ_PII_EXTRACT_BATCH] = F_TEXTS | F_MODEL | F_THRESHOLD | F_LANG | F_PII_EXTRA | F_SWEEP,
    [OM_REQ_PII_DEIDENTIFY] = F_TEXT | F_MODEL | F_THRESHOLD | F_LANG | F_PII_EXTRA | F_SWEEP | F_DEID,
    [OM_REQ_PII_DEIDENTIFY_BATCH] = F_TEXTS | F_MODEL | F_THRESHOLD | F_LANG | F_PII_EXTRA | F_SWEEP | F_DEID,
    [OM_REQ_UNLOAD] = F_UNLOAD | F_MODEL,
};

static const struct {
    const char *name;
    unsigned group;
} known_fields[] = {
    {"text", F_TEXT}, {"texts", F_TEXTS}, {"model_name", F_MODEL}, {"keep_alive", F_MODEL},
    {"confidence_threshold", F_THRESHOLD}, {"aggregation_strategy", F_AGGREGATION},
    {"group_entities", F_ANALYZE_EXTRA}, {"sentence_detection", F_ANALYZE_EXTRA},
    {"sentence_language", F_ANALYZE_EXTRA}, {"sentence_clean", F_ANALYZE_EXTRA},
    {"use_fast_tokenizer", F_ANALYZE_EXTRA}, {"lang", F_LANG}, {"use_smart_merging", F_PII_EXTRA},
    {"normalize_accents", F_PII_EXTRA}, {"use_safety_sweep", F_SWEEP}, {"method", F_DEID}, {"keep_year", F_DEID},
    {"shift_dates", F_DEID}, {"date_shift_days", F_DEID}, {"keep_mapping", F_DEID}, {"policy", F_DEID},
    {"date_shift_max_days", F_DEID}, {"date_shift_seed", F_DEID}, {"patient_key", F_DEID}, {"allow_list", F_DEID},
    {"deny_list", F_DEID}, {"protect_clinical_terms", F_DEID}, {"secret", F_DEID}, {"date_shift_secret", F_DEID},
    {"all", F_UNLOAD},
};

/* "body.<key>" when the key looks like a field name (lower-case identifier, <= 32 chars): never
 * echo anything else a client put in a key. */
static void field_path(char *out, size_t size, const char *key) {
    size_t n = strlen(key);
    int ident = n > 0 && n <= 32 && (islower((unsigned char)key[0]) || key[0] == '_');
    for (size_t i = 0; ident && i < n; i++)
        ident = islower((unsigned char)key[i]) || isdigit((unsigned char)key[i]) || key[i] == '_';
    snprintf(out, size, ident ? "body.%s" : "body.(a field name)", key);
}

static int invalid_at(om_request_error *err, const char *field, const char *type, const char *fmt, va_list ap) {
    char msg[200];
    vsnprintf(msg, sizeof msg, fmt, ap);
    return fail(err, 422, "validation_error", type, field, 0, "%s: %s", field, msg);
}

/* A 422 for the field `key` of the body. */
static int invalid(om_request_error *err, const char *key, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int invalid(om_request_error *err, const char *key, const char *type, const char *fmt, ...) {
    char field[64];
    field_path(field, sizeof field, key);
    va_list ap;
    va_start(ap, fmt);
    invalid_at(err, field, type, fmt, ap);
    va_end(ap);
    return -1;
}

/* A 422 for the field at `path` ("body.texts.3"). */
static int invalid_path(om_request_error *err, const char *path, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int invalid_path(om_request_error *err, const char *path, const char *type, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    invalid_at(err, path, type, fmt, ap);
    va_end(ap);
    return -1;
}

/* Optional boolean (absent or null = unchanged). */
static int get_bool(const cJSON *root, const char *key, int *value, om_request_error *err) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!x || cJSON_IsNull(x)) return 0;
    if (!cJSON_IsBool(x)) return invalid(err, key, "bool_type", "must be true or false");
    *value = cJSON_IsTrue(x);
    return 0;
}

/* Optional string (absent or null = unchanged). */
static int get_string(const cJSON *root, const char *key, const char **value, om_request_error *err) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!x || cJSON_IsNull(x)) return 0;
    if (!cJSON_IsString(x)) return invalid(err, key, "string_type", "must be a string");
    *value = x->valuestring;
    return 0;
}

static size_t count_code_points(const char *s, size_t n) {
    size_t cp = 0;
    for (size_t i = 0; i < n; i++) cp += ((unsigned char)s[i] & 0xC0) != 0x80;
    return cp;
}

static int blank(const char *s) {
    for (; *s; s++)
        if (!isspace((unsigned char)*s)) return 0;
    return 1;
}

/* One text at `path`: a non-blank string of at most max_chars code points. */
static int check_text(const cJSON *x, const char *path, const om_request_limits *lim, size_t *len,
                      om_request_error *err) {
    if (!x) return invalid_path(err, path, "text_required", "is required");
    if (!cJSON_IsString(x)) return invalid_path(err, path, "text_type", "must be a string");
    *len = strlen(x->valuestring);
    if (blank(x->valuestring)) return invalid_path(err, path, "empty_text", "must not be blank");
    size_t cp = count_code_points(x->valuestring, *len);
    if (cp > lim->max_text_chars)
        return invalid_path(err, path, "max_chars", "has %zu characters, more than the limit of %zu", cp,
                            lim->max_text_chars);
    return 0;
}

static int parse_texts(om_serve_request *r, const om_request_limits *lim, om_request_error *err) {
    const cJSON *a = NULL;
    size_t n = 1;
    if (!(kind_fields[r->kind] & F_TEXT)) {
        a = cJSON_GetObjectItemCaseSensitive(r->root, "texts");
        if (!a) return invalid(err, "texts", "texts_required", "is required");
        if (!cJSON_IsArray(a)) return invalid(err, "texts", "list_type", "must be a list of strings");
        n = (size_t)cJSON_GetArraySize(a);
        if (n == 0) return invalid(err, "texts", "too_short", "must hold at least one text");
        if (n > lim->max_texts)
            return invalid(err, "texts", "too_long", "holds %zu texts, more than the limit of %zu", n, lim->max_texts);
    }
    r->texts = malloc(n * sizeof *r->texts);
    r->text_lens = malloc(n * sizeof *r->text_lens);
    if (!r->texts || !r->text_lens) return fail(err, 500, "internal_error", "no_memory", NULL, 0, "out of memory");
    if (!a) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(r->root, "text");
        if (check_text(t, "body.text", lim, &r->text_lens[0], err)) return -1;
        r->texts[0] = t->valuestring;
        r->n_texts = 1;
        return 0;
    }
    size_t i = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, a) {
        char path[64];
        snprintf(path, sizeof path, "body.texts.%zu", i);
        if (check_text(t, path, lim, &r->text_lens[i], err)) return -1;
        r->texts[i++] = t->valuestring;
    }
    r->n_texts = n;
    return 0;
}

static int parse_threshold(const cJSON *root, int analyze, float *value, om_request_error *err) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(root, "confidence_threshold");
    if (!x) return 0;
    if (cJSON_IsNull(x)) {
        if (analyze) *value = 0.0f; /* None keeps every entity */
        return analyze ? 0 : invalid(err, "confidence_threshold", "float_type", "must be a number in [0, 1]");
    }
    if (!cJSON_IsNumber(x) || !(x->valuedouble >= 0.0 && x->valuedouble <= 1.0))
        return invalid(err, "confidence_threshold", "range", "must be a number in [0, 1]");
    *value = (float)x->valuedouble;
    return 0;
}

static int parse_model_name(const cJSON *root, const char **value, om_request_error *err) {
    if (get_string(root, "model_name", value, err)) return -1;
    if (*value && (blank(*value) || strlen(*value) > 256))
        return invalid(err, "model_name", "model_name", "must be a non-blank name of at most 256 characters");
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(root, "keep_alive");
    if (k && !cJSON_IsNull(k) && !cJSON_IsNumber(k) && !cJSON_IsString(k))
        return invalid(err, "keep_alive", "keep_alive", "must be a number of seconds or a duration string");
    return 0;
}

static int parse_analyze(om_serve_request *r, om_request_error *err) {
    const cJSON *root = r->root;
    if (parse_threshold(root, 1, &r->analyze_threshold, err)) return -1;
    const cJSON *agg = cJSON_GetObjectItemCaseSensitive(root, "aggregation_strategy");
    if (cJSON_IsNull(agg)) r->aggregation = OPENMED_AGGREGATION_NONE;
    else if (agg) {
        static const char *const names[] = {"simple", "first", "average", "max"};
        int found = -1;
        for (int i = 0; cJSON_IsString(agg) && i < 4; i++)
            if (!strcmp(agg->valuestring, names[i])) found = i;
        if (found < 0)
            return invalid(err, "aggregation_strategy", "literal_error", "must be one of simple, first, average, max or null");
        r->aggregation = (openmed_aggregation)(OPENMED_AGGREGATION_SIMPLE + found);
    }
    int b = 0;
    const char *s = NULL;
    r->sentence_detection = 1;
    if (get_bool(root, "group_entities", &r->group_entities, err) ||
        get_bool(root, "sentence_detection", &r->sentence_detection, err) || get_bool(root, "sentence_clean", &b, err) ||
        get_bool(root, "use_fast_tokenizer", &b, err) || get_string(root, "sentence_language", &s, err))
        return -1;
    return 0;
}

const char *const om_serve_policy_names[OM_SERVE_N_POLICIES] = {"hipaa_safe_harbor", "strict"};

#define MAX_LIST_ENTRIES 4096
#define MAX_KEY_BYTES 256 /* patient_key, date_shift_seed, a list entry */

/* Optional whole number in [min, max], not 0 when nonzero (absent or null = unchanged). */
static int get_int(const cJSON *root, const char *key, int min, int max, int nonzero, int *value,
                   om_request_error *err) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!x || cJSON_IsNull(x)) return 0;
    double d = cJSON_IsNumber(x) ? x->valuedouble : 0;
    if (!cJSON_IsNumber(x) || d != floor(d) || d < min || d > max || (nonzero && d == 0))
        return invalid(err, key, "int_type", "must be a %swhole number in [%d, %d]", nonzero ? "non-zero " : "", min,
                       max);
    *value = (int)d;
    return 0;
}

/* Optional non-blank string of at most MAX_KEY_BYTES bytes. */
static int get_key_string(const cJSON *root, const char *key, const char **value, om_request_error *err) {
    if (get_string(root, key, value, err)) return -1;
    if (*value && (blank(*value) || strlen(*value) > MAX_KEY_BYTES))
        return invalid(err, key, "string_length", "must be a non-blank string of at most %d bytes", MAX_KEY_BYTES);
    return 0;
}

/* deny_list / allow_list: a list of non-blank strings, appended to r->lists from *used on. */
static int get_list(om_serve_request *r, const char *key, size_t *used, const char *const **items, size_t *n,
                    om_request_error *err) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(r->root, key);
    if (!a || cJSON_IsNull(a)) return 0;
    if (!cJSON_IsArray(a)) return invalid(err, key, "list_type", "must be a list of strings");
    size_t count = (size_t)cJSON_GetArraySize(a);
    if (count > MAX_LIST_ENTRIES)
        return invalid(err, key, "too_long", "holds %zu entries, more than the limit of %d", count, MAX_LIST_ENTRIES);
    *items = r->lists + *used;
    size_t i = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, a) {
        char path[64];
        snprintf(path, sizeof path, "body.%s.%zu", key, i);
        if (!cJSON_IsString(t) || blank(t->valuestring) || strlen(t->valuestring) > MAX_KEY_BYTES)
            return invalid_path(err, path, "string_type", "must be a non-blank string of at most %d bytes",
                                MAX_KEY_BYTES);
        r->lists[(*used)++] = t->valuestring;
        i++;
    }
    *n = count;
    return 0;
}

static int parse_pii(om_serve_request *r, int deidentify, om_request_error *err) {
    const cJSON *root = r->root;
    openmed_deid_options *o = &r->deid;
    r->threshold_given = cJSON_GetObjectItemCaseSensitive(root, "confidence_threshold") != NULL;
    if (parse_threshold(root, 0, &o->confidence_threshold, err)) return -1;
    if (get_string(root, "lang", &r->lang, err)) return -1;
    if (language_index(r->lang) < 0)
        return invalid(err, "lang", "unsupported_language", "is not one of OpenMed's PII languages");
    int b = 0;
    if (get_bool(root, "use_smart_merging", &b, err) || get_bool(root, "use_safety_sweep", &o->safety_sweep, err) ||
        get_bool(root, "normalize_accents", &b, err))
        return -1;
    if (!deidentify) return 0;
    const char *forbidden[] = {"secret", "date_shift_secret"};
    for (int i = 0; i < 2; i++)
        if (cJSON_GetObjectItemCaseSensitive(root, forbidden[i]))
            return invalid(err, forbidden[i], "forbidden",
                           "the key is the server's (--secret-file, OPENMED_DEID_SECRET or the config file); a "
                           "request never carries it");
    const char *method = NULL, *policy = NULL;
    if (get_string(root, "method", &method, err)) return -1;
    if (method) {
        openmed_error e;
        if (openmed_deid_method_parse(method, &o->method, &e) != OPENMED_OK || strcmp(method, openmed_deid_method_name(o->method)))
            return invalid(err, "method", "literal_error", "must be one of mask, remove, replace, hash, shift_dates, format_preserve");
    }
    int shift = -1;
    if (get_bool(root, "shift_dates", &shift, err) || get_bool(root, "keep_mapping", &o->keep_mapping, err) ||
        get_bool(root, "keep_year", &o->keep_year, err) ||
        get_bool(root, "protect_clinical_terms", &o->protect_clinical_terms, err) ||
        get_string(root, "policy", &policy, err))
        return -1;
    r->policy = -1;
    for (int i = 0; policy && i < OM_SERVE_N_POLICIES; i++)
        if (!strcmp(policy, om_serve_policy_names[i])) r->policy = i;
    if (policy && r->policy < 0)
        return invalid(err, "policy", "literal_error",
                       "must be hipaa_safe_harbor or strict (a bundled policy; a request cannot name a file)");
    if (shift == 1) o->method = OPENMED_DEID_SHIFT_DATES; /* OpenMed's deprecated alias */
    if (shift == 0 && o->method == OPENMED_DEID_SHIFT_DATES)
        return invalid(err, "shift_dates", "value_error", "shift_dates=false conflicts with method='shift_dates'");

    /* The date shift: one of a number of days, a seed or a patient key; max bounds derived shifts. */
    if (get_int(root, "date_shift_days", -36500, 36500, 1, &o->date_shift_days, err) ||
        get_int(root, "date_shift_max_days", 1, 36500, 0, &o->date_shift_max_days, err) ||
        get_key_string(root, "patient_key", &o->patient_key, err))
        return -1;
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(root, "date_shift_seed");
    if (seed && !cJSON_IsNull(seed)) {
        if (cJSON_IsNumber(seed) && seed->valuedouble == floor(seed->valuedouble) && fabs(seed->valuedouble) < 1e15) {
            snprintf(r->seed, sizeof r->seed, "%.0f", seed->valuedouble);
            o->date_shift_seed = r->seed;
        } else if (get_key_string(root, "date_shift_seed", &o->date_shift_seed, err)) {
            return -1;
        } else if (!o->date_shift_seed) {
            return invalid(err, "date_shift_seed", "string_type", "must be a string or a whole number");
        }
    }
    const char *shift_fields[] = {"date_shift_days", "date_shift_seed", "patient_key", "date_shift_max_days"};
    int given[4] = {o->date_shift_days != 0, o->date_shift_seed != NULL, o->patient_key != NULL,
                    o->date_shift_max_days != 0};
    for (int i = 0; i < 4; i++) {
        /* a policy may shift dates whatever the method: the library checks that case */
        if (given[i] && o->method != OPENMED_DEID_SHIFT_DATES && r->policy < 0)
            return invalid(err, shift_fields[i], "value_error", "requires method='shift_dates' (or a policy that shifts dates)");
        for (int k = 0; k < i && i < 3; k++)
            if (given[i] && given[k])
                return invalid(err, shift_fields[i], "value_error", "give one of date_shift_days, date_shift_seed and "
                                                                    "patient_key");
    }

    /* deny_list and allow_list share one array of pointers into the tree */
    const cJSON *dl = cJSON_GetObjectItemCaseSensitive(root, "deny_list");
    const cJSON *al = cJSON_GetObjectItemCaseSensitive(root, "allow_list");
    size_t cap = (size_t)(cJSON_IsArray(dl) ? cJSON_GetArraySize(dl) : 0) +
                 (size_t)(cJSON_IsArray(al) ? cJSON_GetArraySize(al) : 0);
    if (cap && !(r->lists = malloc(cap * sizeof *r->lists)))
        return fail(err, 500, "internal_error", "no_memory", NULL, 0, "out of memory");
    size_t used = 0;
    const char *const *deny = NULL, *const *allow = NULL;
    if (get_list(r, "deny_list", &used, &deny, &o->n_deny_list, err) ||
        get_list(r, "allow_list", &used, &allow, &o->n_allow_list, err))
        return -1;
    o->deny_list = o->n_deny_list ? deny : NULL;
    o->allow_list = o->n_allow_list ? allow : NULL;
    return 0;
}

int om_serve_request_parse(om_request_kind kind, const char *body, size_t len, const om_request_limits *limits,
                           om_serve_request *out, om_request_error *err) {
    static const om_request_limits defaults = {1000000, 256};
    const om_request_limits *lim = limits ? limits : &defaults;
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    if ((unsigned)kind >= OM_REQ_KIND_COUNT) return fail(err, 500, "internal_error", "kind", NULL, 0, "unknown request");
    out->kind = kind;
    out->lang = "en";
    out->aggregation = OPENMED_AGGREGATION_SIMPLE;
    out->policy = -1;
    openmed_deid_options_init(&out->deid);
    if (kind == OM_REQ_PII_EXTRACT || kind == OM_REQ_PII_EXTRACT_BATCH)
        out->deid.confidence_threshold = OPENMED_PII_EXTRACT_THRESHOLD;
    if (!(out->root = om_json_parse_strict(body ? body : "", body ? len : 0, err))) return -1;
    if (!cJSON_IsObject(out->root)) {
        fail(err, 422, "validation_error", "model_attributes_type", "body", 0, "body: must be a JSON object");
        goto bad;
    }
    if (kind != OM_REQ_UNLOAD && parse_texts(out, lim, err)) goto bad; /* the text first: the likeliest mistake */
    unsigned allowed = kind_fields[kind];
    for (const cJSON *c = out->root->child; c; c = c->next) {
        size_t f = 0, nf = sizeof known_fields / sizeof known_fields[0];
        while (f < nf && strcmp(known_fields[f].name, c->string)) f++;
        if (f == nf || !(known_fields[f].group & allowed)) {
            invalid(err, c->string, "extra_forbidden", "is not a field of this request");
            goto bad;
        }
    }
    if (parse_model_name(out->root, &out->model_name, err)) goto bad;
    if (kind == OM_REQ_UNLOAD) {
        if (get_bool(out->root, "all", &out->unload_all, err)) goto bad;
        if (!out->unload_all && !out->model_name) {
            invalid(err, "model_name", "value_error", "is required unless all=true");
            goto bad;
        }
        return 0;
    }
    int bad_fields = kind == OM_REQ_ANALYZE || kind == OM_REQ_ANALYZE_BATCH
                         ? parse_analyze(out, err)
                         : parse_pii(out, kind == OM_REQ_PII_DEIDENTIFY || kind == OM_REQ_PII_DEIDENTIFY_BATCH, err);
    if (!bad_fields) return 0;
bad:
    om_serve_request_free(out);
    return -1;
}

void om_serve_request_free(om_serve_request *r) {
    if (!r) return;
    cJSON_Delete(r->root);
    free(r->lists);
    free(r->texts);
    free(r->text_lens);
    memset(r, 0, sizeof *r);
}
