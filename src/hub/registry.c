/* registry.c: OpenMed's model registry, derived from its manifest the way OpenMed's
 * _build_registry does (behaviour spec §4.2): each row gets a primary key (collisions take a
 * format, then a repo-name, then a counter suffix), then aliases that never override an
 * existing key (legacy names, PII names without the parameter count, per-language names of the
 * multilingual privacy filters), then the registry pointers pii_latest / pii_last_green.
 * The registry is immutable once loaded; its strings live until the process ends. */
#include "hub/registry.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/error.h"
#include "core/file.h"
#include "core/install_dir.h"
#include "core/log.h"

#define MAX_TOKENS 32
#define TOKEN_MAX 128
#define KEY_MAX 512
#define MANIFEST_MAX_BYTES (256u << 20)

/* OpenMed's _LEGACY_MODEL_ALIASES (spec §4.2), including the multilingual placeholder. */
static const struct { const char *repo, *alias; } legacy_aliases[] = {
    {"OpenMed/OpenMed-NER-DiseaseDetect-SuperClinical-434M", "disease_detection_superclinical"},
    {"OpenMed/OpenMed-NER-DiseaseDetect-TinyMed-135M", "disease_detection_tiny"},
    {"OpenMed/OpenMed-NER-PharmaDetect-SuperClinical-434M", "pharma_detection_superclinical"},
    {"OpenMed/OpenMed-NER-PharmaDetect-SuperMedical-125M", "pharma_detection_supermedical"},
    {"OpenMed/OpenMed-NER-OncologyDetect-SuperClinical-434M", "oncology_detection_superclinical"},
    {"OpenMed/OpenMed-NER-OncologyDetect-TinyMed-65M", "oncology_detection_tiny"},
    {"OpenMed/OpenMed-NER-AnatomyDetect-ElectraMed-109M", "anatomy_detection_electramed"},
    {"OpenMed/OpenMed-NER-GenomeDetect-BioClinical-108M", "genome_detection_bioclinical"},
    {"OpenMed/OpenMed-NER-ChemicalDetect-PubMed-335M", "chemical_detection_pubmed"},
    {"OpenMed/OpenMed-NER-SpeciesDetect-BioClinical-108M", "species_detection_bioclinical"},
    {"OpenMed/OpenMed-NER-ProteinDetect-PubMed-109M", "protein_detection_pubmed"},
    {"OpenMed/OpenMed-NER-PathologyDetect-ModernClinical-395M", "pathology_detection_modern"},
    {"OpenMed/OpenMed-NER-BloodCancerDetect-SuperClinical-434M", "blood_cancer_detection"},
    {"OpenMed/OpenMed-NER-DNADetect-SuperMedical-125M", "dna_detection_supermedical"},
    {"OpenMed/OpenMed-PII-SuperClinical-Small-44M-v1", "pii_detection"},
    {"OpenMed/privacy-filter-multilingual", "pii_ta_msuperclinical_large"},
};

/* The named pointers of OpenMed's gates/registry_state.json (spec §4.2): family_pointer -> repo. */
static const struct { const char *key, *repo; } registry_pointers[] = {
    {"pii_latest", "OpenMed/OpenMed-PII-SuperClinical-Small-44M-v1-mlx"},
    {"pii_last_green", "OpenMed/OpenMed-PII-SuperClinical-Small-44M-v1-mlx"},
};

/* OpenMed's _LANGUAGE_NAME_TO_CODE (Korean is missing there, on purpose kept missing here). */
static const struct { const char *name, *code; } language_names[] = {
    {"arabic", "ar"},   {"assamese", "as"}, {"bengali", "bn"},   {"chinese", "zh"},    {"dutch", "nl"},
    {"english", "en"},  {"french", "fr"},   {"german", "de"},    {"gujarati", "gu"},   {"hebrew", "he"},
    {"hindi", "hi"},    {"indonesian", "id"}, {"italian", "it"}, {"japanese", "ja"},   {"kannada", "kn"},
    {"malayalam", "ml"}, {"marathi", "mr"}, {"odia", "or"},      {"portuguese", "pt"}, {"punjabi", "pa"},
    {"spanish", "es"},  {"tamil", "ta"},    {"telugu", "te"},    {"thai", "th"},       {"turkish", "tr"},
    {"vietnamese", "vi"},
};

typedef struct key_slot {
    char *key;
    size_t row;
} key_slot;

typedef struct tokens {
    char t[MAX_TOKENS][TOKEN_MAX];
    int n;
} tokens;

/* One manifest row while building: the public info plus what key derivation needs. */
typedef struct row_build {
    openmed_model_info info;
    cJSON *json;
} row_build;

static struct {
    pthread_mutex_t lock;
    int loaded;
    openmed_model_info *rows;
    size_t nrows;
    key_slot *table; /* open addressing, capacity a power of two */
    size_t cap, nkeys;
    size_t *order; /* table slots in insertion order */
    char source[OPENMED_PATH_MAX];
} R = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* ---------------------------------------------------------------- key table */

static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static key_slot *table_find(const char *key) {
    if (!R.cap) return NULL;
    for (size_t i = hash_str(key) & (R.cap - 1);; i = (i + 1) & (R.cap - 1)) {
        if (!R.table[i].key) return &R.table[i];
        if (!strcmp(R.table[i].key, key)) return &R.table[i];
    }
}

static int table_has(const char *key) {
    key_slot *s = table_find(key);
    return s && s->key;
}

static int table_grow(void) {
    size_t cap = R.cap ? R.cap * 2 : 8192;
    key_slot *old = R.table;
    size_t old_cap = R.cap;
    size_t *order = malloc(cap / 2 * sizeof *order);
    key_slot *table = calloc(cap, sizeof *table);
    if (!table || !order) {
        free(table);
        free(order);
        return -1;
    }
    R.table = table;
    R.cap = cap;
    size_t n = 0;
    for (size_t k = 0; k < R.nkeys; k++) {
        key_slot *from = &old[R.order[k]];
        key_slot *to = table_find(from->key);
        *to = *from;
        order[n++] = (size_t)(to - R.table);
    }
    (void)old_cap;
    free(old);
    free(R.order);
    R.order = order;
    return 0;
}

/* Insert key -> row. `override`: replace an existing key (pointer aliases); else setdefault. */
static openmed_status table_put(const char *key, size_t row, int override, openmed_error *err) {
    if ((R.nkeys + 1) * 2 > R.cap && table_grow())
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "model registry: out of memory");
    key_slot *s = table_find(key);
    if (s->key) {
        if (override) s->row = row;
        return OPENMED_OK;
    }
    if (!(s->key = strdup(key))) return om_fail(err, OPENMED_ERR_NO_MEMORY, "model registry: out of memory");
    s->row = row;
    R.order[R.nkeys++] = (size_t)(s - R.table);
    return OPENMED_OK;
}

/* ---------------------------------------------------------------- names and tokens */

/* OpenMed's _slug: lower-case, runs of [^a-z0-9] -> "_", trim "_"; "" -> "model". */
static void slug(const char *in, char *out, size_t size) {
    size_t n = 0;
    int pending = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        int c = *p < 128 ? tolower(*p) : '_';
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (pending && n > 0 && n + 1 < size) out[n++] = '_';
            pending = 0;
            if (n + 1 < size) out[n++] = (char)c;
        } else {
            pending = 1;
        }
    }
    out[n] = 0;
    if (n == 0) snprintf(out, size, "model");
}

static const char *repo_name(const char *repo_id) {
    const char *slash = strrchr(repo_id, '/');
    return slash ? slash + 1 : repo_id;
}

/* Split a repo name on runs of '-' and '_'. */
static void split_tokens(const char *repo_id, tokens *t) {
    t->n = 0;
    const char *p = repo_name(repo_id);
    while (*p) {
        while (*p == '-' || *p == '_') p++;
        if (!*p) break;
        size_t len = strcspn(p, "-_");
        if (t->n < MAX_TOKENS) {
            snprintf(t->t[t->n], TOKEN_MAX, "%.*s", (int)len, p);
            t->n++;
        }
        p += len;
    }
}

static void drop_token(tokens *t, int i) {
    memmove(t->t[i], t->t[i + 1], (size_t)(t->n - i - 1) * TOKEN_MAX);
    t->n--;
}

static int is_version_token(const char *s) { /* ^v\d+$ */
    if (tolower((unsigned char)s[0]) != 'v' || !s[1]) return 0;
    for (s++; *s; s++)
        if (!isdigit((unsigned char)*s)) return 0;
    return 1;
}

static int is_param_token(const char *s) { /* ^\d+(\.\d+)?[mb]$, any case */
    const char *p = s;
    if (!isdigit((unsigned char)*p)) return 0;
    while (isdigit((unsigned char)*p)) p++;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p)) return 0;
        while (isdigit((unsigned char)*p)) p++;
    }
    return (tolower((unsigned char)p[0]) == 'm' || tolower((unsigned char)p[0]) == 'b') && !p[1];
}

/* OpenMed's _clean_model_tokens: drop openmed / ner / pii and version tokens. */
static void clean_tokens(tokens *t) {
    for (int i = 0; i < t->n;) {
        const char *s = t->t[i];
        if (!strcasecmp(s, "openmed") || !strcasecmp(s, "ner") || !strcasecmp(s, "pii") || is_version_token(s))
            drop_token(t, i);
        else
            i++;
    }
}

/* Is `code` one of the comma-separated `languages`? */
static int has_language(const char *languages, const char *code) {
    size_t len = strlen(code);
    for (const char *p = languages; *p;) {
        size_t n = strcspn(p, ",");
        if (n == len && !strncmp(p, code, n)) return 1;
        p += n;
        if (*p == ',') p++;
    }
    return 0;
}

static int language_count(const char *languages) {
    if (!languages[0]) return 0;
    int n = 1;
    for (const char *p = languages; *p; p++) n += *p == ',';
    return n;
}

/* OpenMed's _strip_language_tokens: drop language names whose code the row lists. */
static void strip_language_tokens(tokens *t, const char *languages) {
    for (int i = 0; i < t->n;) {
        const char *code = NULL;
        for (size_t k = 0; k < sizeof language_names / sizeof language_names[0]; k++)
            if (!strcasecmp(t->t[i], language_names[k].name)) code = language_names[k].code;
        if (code && has_language(languages, code))
            drop_token(t, i);
        else
            i++;
    }
}

/* "privacy", "filter", rest... -> "privacy_filter", rest... */
static void privacy_filter_tokens(tokens *t) {
    if (t->n > 1 && !strcasecmp(t->t[0], "privacy")) {
        snprintf(t->t[0], TOKEN_MAX, "privacy_filter");
        drop_token(t, 1);
    }
}

/* slug("_".join(tokens)) */
static void slug_tokens(const tokens *t, char *out, size_t size) {
    char joined[KEY_MAX * 2] = "";
    size_t n = 0;
    for (int i = 0; i < t->n && n < sizeof joined - 1; i++) { /* tokens past the buffer are cut off */
        int w = snprintf(joined + n, sizeof joined - n, "%s%s", i ? "_" : "", t->t[i]);
        if (w < 0) break;
        n = n + (size_t)w < sizeof joined ? n + (size_t)w : sizeof joined - 1;
    }
    slug(joined, out, size);
}

/* "xx_" when the row lists exactly one language and it is not English. */
static const char *language_prefix(const char *languages, char *buf, size_t size) {
    buf[0] = 0;
    if (language_count(languages) == 1 && strcmp(languages, "en") != 0) snprintf(buf, size, "%s_", languages);
    return buf;
}

static int contains(const char *haystack, const char *needle) { return strstr(haystack, needle) != NULL; }

/* OpenMed's _category_from_row. */
static const char *category_of(const char *repo_id, const char *family) {
    char repo[KEY_MAX];
    size_t i = 0;
    for (; repo_id[i] && i + 1 < sizeof repo; i++) repo[i] = (char)tolower((unsigned char)repo_id[i]);
    repo[i] = 0;
    if (!strcasecmp(family, "pii") || contains(repo, "pii") || contains(repo, "privacy-filter")) return "Privacy";
    if (contains(repo, "bloodcancerdetect") || contains(repo, "hematology") || contains(repo, "leukemia"))
        return "Hematology";
    if (contains(repo, "diseasedetect")) return "Disease";
    if (contains(repo, "pharmadetect") || contains(repo, "drug")) return "Pharmaceutical";
    if (contains(repo, "oncologydetect") || contains(repo, "cancer")) return "Oncology";
    if (contains(repo, "anatomydetect") || contains(repo, "anatomy")) return "Anatomy";
    if (contains(repo, "genomedetect") || contains(repo, "genomicdetect") || contains(repo, "dnadetect") ||
        contains(repo, "rna"))
        return "Genomics";
    if (contains(repo, "chemicaldetect") || contains(repo, "chem")) return "Chemical";
    if (contains(repo, "speciesdetect") || contains(repo, "organismdetect")) return "Species";
    if (contains(repo, "proteindetect")) return "Protein";
    if (contains(repo, "pathologydetect")) return "Pathology";
    return "Medical";
}

static void pii_key(const openmed_model_info *m, char *out, size_t size) {
    tokens t;
    split_tokens(m->repo_id, &t);
    clean_tokens(&t);
    strip_language_tokens(&t, m->languages);
    privacy_filter_tokens(&t);
    char suffix[KEY_MAX], prefix[16];
    slug_tokens(&t, suffix, sizeof suffix);
    if (snprintf(out, size, "pii_%s%s", language_prefix(m->languages, prefix, sizeof prefix), suffix) >= (int)size)
        out[size - 1] = 0; /* keys are far shorter than KEY_MAX; a truncated one simply never matches */
}

static void ner_key(const openmed_model_info *m, char *out, size_t size) {
    tokens t;
    split_tokens(m->repo_id, &t);
    clean_tokens(&t);
    size_t len = t.n ? strlen(t.t[0]) : 0;
    if (len >= 6 && !strcasecmp(t.t[0] + len - 6, "detect") && t.n < MAX_TOKENS) {
        t.t[0][len - 6] = 0; /* head, "detection", rest... */
        memmove(t.t[2], t.t[1], (size_t)(t.n - 1) * TOKEN_MAX);
        snprintf(t.t[1], TOKEN_MAX, "detection");
        t.n++;
    }
    slug_tokens(&t, out, size);
}

/* OpenMed's _registry_key. */
static void primary_key(const openmed_model_info *m, char *out, size_t size) {
    if (!strcmp(m->category, "Privacy"))
        pii_key(m, out, size);
    else if (!strcasecmp(m->family, "NER") || !strcasecmp(m->family, "ZeroShot"))
        ner_key(m, out, size);
    else
        slug(repo_name(m->repo_id), out, size);
}

/* OpenMed's _unique_key: base, base_<format>..., base_<repo name>, then base_<repo name>_2, _3... */
static void unique_key(const char *base, const openmed_model_info *m, char *out, size_t size) {
    snprintf(out, size, "%s", base);
    if (!table_has(out)) return;
    for (const char *p = m->formats; *p;) {
        size_t n = strcspn(p, ",");
        char format[TOKEN_MAX], fslug[TOKEN_MAX];
        snprintf(format, sizeof format, "%.*s", (int)n, p);
        slug(format, fslug, sizeof fslug);
        snprintf(out, size, "%s_%s", base, fslug);
        if (!table_has(out)) return;
        p += n;
        if (*p == ',') p++;
    }
    char rslug[KEY_MAX], candidate[KEY_MAX * 2];
    slug(repo_name(m->repo_id), rslug, sizeof rslug);
    snprintf(candidate, sizeof candidate, "%s_%s", base, rslug);
    snprintf(out, size, "%s", candidate);
    if (!table_has(out)) return;
    for (int i = 2;; i++) {
        snprintf(out, size, "%s_%d", candidate, i);
        if (!table_has(out)) return;
    }
}

/* OpenMed's _compatibility_aliases minus the legacy table: PII names without the parameter count
 * and per-language names of the multilingual privacy filters. Calls add(alias) for each. */
static openmed_status compat_aliases(const openmed_model_info *m, size_t row, openmed_error *err) {
    if (strcmp(m->category, "Privacy") != 0) return OPENMED_OK;
    openmed_status st;
    char alias[KEY_MAX * 2], suffix[KEY_MAX], prefix[16];
    tokens t;
    if (contains(m->repo_id, "privacy-filter-multilingual")) {
        split_tokens(m->repo_id, &t);
        clean_tokens(&t);
        privacy_filter_tokens(&t);
        slug_tokens(&t, suffix, sizeof suffix);
        for (const char *p = m->languages; *p;) {
            size_t n = strcspn(p, ",");
            if (!(n == 2 && !strncmp(p, "en", 2))) {
                snprintf(alias, sizeof alias, "pii_%.*s_%s", (int)n, p, suffix);
                if ((st = table_put(alias, row, 0, err))) return st;
            }
            p += n;
            if (*p == ',') p++;
        }
    } else if (contains(m->repo_id, "/OpenMed-PII-")) {
        split_tokens(m->repo_id, &t);
        clean_tokens(&t);
        strip_language_tokens(&t, m->languages);
        for (int i = 0; i < t.n;)
            if (is_param_token(t.t[i]))
                drop_token(&t, i);
            else
                i++;
        if (t.n) {
            slug_tokens(&t, suffix, sizeof suffix);
            snprintf(alias, sizeof alias, "pii_%s%s", language_prefix(m->languages, prefix, sizeof prefix), suffix);
            if ((st = table_put(alias, row, 0, err))) return st;
        }
    }
    /* _multilingual_pii_aliases: privacy-filter + multilingual repos with several languages. */
    char lower[KEY_MAX];
    size_t i = 0;
    for (; m->repo_id[i] && i + 1 < sizeof lower; i++) lower[i] = (char)tolower((unsigned char)m->repo_id[i]);
    lower[i] = 0;
    if (contains(lower, "privacy-filter") && contains(lower, "multilingual") && language_count(m->languages) > 1) {
        char base[KEY_MAX];
        pii_key(m, base, sizeof base);
        for (const char *p = m->languages; *p;) {
            size_t n = strcspn(p, ",");
            if (!(n == 2 && !strncmp(p, "en", 2))) {
                snprintf(alias, sizeof alias, "pii_%.*s_%s", (int)n, p, base + 4);
                if ((st = table_put(alias, row, 0, err))) return st;
            }
            p += n;
            if (*p == ',') p++;
        }
    }
    return OPENMED_OK;
}

/* ---------------------------------------------------------------- manifest rows */

static char *dup_or_empty(const char *s) { return strdup(s ? s : ""); }

static char *json_string(const cJSON *row, const char *field) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, field);
    return dup_or_empty(cJSON_IsString(v) ? v->valuestring : NULL);
}

/* A JSON array of strings as "a,b,c". */
static char *json_list(const cJSON *row, const char *field) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, field), *item;
    size_t len = 1;
    cJSON_ArrayForEach(item, v) if (cJSON_IsString(item)) len += strlen(item->valuestring) + 1;
    char *out = malloc(len);
    if (!out) return NULL;
    out[0] = 0;
    cJSON_ArrayForEach(item, v) if (cJSON_IsString(item)) {
        if (out[0]) strcat(out, ",");
        strcat(out, item->valuestring);
    }
    return out;
}

/* OpenMed's _size_category. */
static const char *size_category(const cJSON *row, int64_t params) {
    const cJSON *tier = cJSON_GetObjectItemCaseSensitive(row, "tier");
    if (cJSON_IsString(tier) && tier->valuestring[0]) return !strcmp(tier->valuestring, "Base") ? "Medium" : tier->valuestring;
    if (params <= 0) return "Unknown";
    if (params < 60000000) return "Tiny";
    if (params < 100000000) return "Small";
    if (params < 250000000) return "Medium";
    if (params < 500000000) return "Large";
    return "XLarge";
}

static openmed_status row_from_json(const cJSON *row, openmed_model_info *m, const char *file, int line,
                                    openmed_error *err) {
    memset(m, 0, sizeof *m);
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(row, "param_count");
    /* a count past int64 cannot be converted (undefined behaviour), so it is a bad row, not a model */
    if (cJSON_IsNumber(params) && !(params->valuedouble < 9223372036854775808.0))
        return om_fail(err, OPENMED_ERR_FORMAT, "%s:%d: param_count %g is out of range", file, line,
                       params->valuedouble);
    m->param_count = cJSON_IsNumber(params) && params->valuedouble > 0 ? (int64_t)params->valuedouble : 0;
    m->repo_id = json_string(row, "repo_id");
    m->family = json_string(row, "family");
    m->task = json_string(row, "task");
    m->languages = json_list(row, "languages");
    m->architecture = json_string(row, "architecture");
    m->base_model = json_string(row, "base_model");
    m->formats = json_list(row, "formats");
    m->license = json_string(row, "license");
    m->reproducibility_hash = json_string(row, "reproducibility_hash");
    m->released = json_string(row, "released");
    m->size_category = dup_or_empty(size_category(row, m->param_count));
    m->category = category_of(m->repo_id ? m->repo_id : "", m->family ? m->family : "");
    if (!m->repo_id || !m->family || !m->task || !m->languages || !m->architecture || !m->base_model ||
        !m->formats || !m->license || !m->reproducibility_hash || !m->released || !m->size_category)
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "%s:%d: out of memory", file, line);
    return OPENMED_OK;
}

/* The strings one row owns (a row filled halfway is freed the same way: unset fields are NULL). */
static void free_row(openmed_model_info *m) {
    free((char *)m->aliases);
    free((char *)m->repo_id);
    free((char *)m->family);
    free((char *)m->task);
    free((char *)m->languages);
    free((char *)m->architecture);
    free((char *)m->base_model);
    free((char *)m->formats);
    free((char *)m->license);
    free((char *)m->size_category);
    free((char *)m->reproducibility_hash);
    free((char *)m->released);
}

static void free_rows(openmed_model_info *rows, size_t n) {
    for (size_t i = 0; i < n; i++) free_row(&rows[i]);
    free(rows);
}

/* Parse one JSONL manifest and append its rows to `rows`. */
static openmed_status read_manifest(const char *path, openmed_model_info **rows, size_t *nrows, size_t *cap,
                                    openmed_error *err) {
    char *data = NULL;
    size_t size = 0;
    openmed_status st = om_read_file(path, MANIFEST_MAX_BYTES, &data, &size, err);
    if (st) return om_fail_prefix(err, st, "model registry manifest");
    int line = 0;
    for (char *p = data; p < data + size;) {
        char *end = memchr(p, '\n', (size_t)(data + size - p));
        if (!end) end = data + size;
        *end = 0;
        line++;
        char *s = p;
        p = end + 1;
        while (*s == ' ' || *s == '\t' || *s == '\r') s++;
        if (!*s) continue;
        cJSON *row = cJSON_Parse(s);
        if (!cJSON_IsObject(row)) {
            cJSON_Delete(row);
            free(data);
            return om_fail(err, OPENMED_ERR_FORMAT, "%s:%d: not a JSON object", path, line);
        }
        const cJSON *repo = cJSON_GetObjectItemCaseSensitive(row, "repo_id");
        if (!cJSON_IsString(repo) || !repo->valuestring[0]) { /* OpenMed skips rows without a repo_id */
            cJSON_Delete(row);
            continue;
        }
        if (*nrows == *cap) {
            size_t ncap = *cap ? *cap * 2 : 4096;
            openmed_model_info *grown = realloc(*rows, ncap * sizeof *grown);
            if (!grown) {
                cJSON_Delete(row);
                free(data);
                return om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory", path);
            }
            *rows = grown;
            *cap = ncap;
        }
        st = row_from_json(row, &(*rows)[*nrows], path, line, err);
        cJSON_Delete(row);
        if (st) {
            free_row(&(*rows)[*nrows]);
            free(data);
            return st;
        }
        (*nrows)++;
    }
    free(data);
    return OPENMED_OK;
}

/* The manifest: $OPENMED_MODELS_MANIFEST, else <prefix>/share/openmed/models.jsonl next to the
 * library (core/install_dir.h), else data/registry/models.jsonl of the source tree this file was built from. */
static openmed_status find_manifest(char *out, size_t size, openmed_error *err) {
    const char *env = getenv("OPENMED_MODELS_MANIFEST");
    if (env && env[0]) {
        if (!om_file_exists(env))
            return om_fail(err, OPENMED_ERR_NOT_FOUND, "OPENMED_MODELS_MANIFEST=%s: no such file", env);
        snprintf(out, size, "%s", env);
        return OPENMED_OK;
    }
    char installed[OPENMED_PATH_MAX] = "", source[OPENMED_PATH_MAX + 64] = "";
    if (om_installed_data("models.jsonl", installed, sizeof installed) && om_file_exists(installed)) {
        snprintf(out, size, "%s", installed);
        return OPENMED_OK;
    }
    char root[OPENMED_PATH_MAX];
    if (om_source_root(root, sizeof root)) {
        snprintf(source, sizeof source, "%sdata/registry/models.jsonl", root);
        if (om_file_exists(source)) {
            snprintf(out, size, "%s", source);
            return OPENMED_OK;
        }
    }
    return om_fail(err, OPENMED_ERR_NOT_FOUND,
                   "model registry manifest not found (tried %s and %s); set OPENMED_MODELS_MANIFEST",
                   installed[0] ? installed : "<prefix>/share/openmed/models.jsonl", source);
}


static void clear_locked(void) {
    free_rows(R.rows, R.nrows);
    for (size_t i = 0; i < R.nkeys; i++) free(R.table[R.order[i]].key);
    free(R.table);
    free(R.order);
    R.rows = NULL;
    R.table = NULL;
    R.order = NULL;
    R.nrows = R.cap = R.nkeys = 0;
    R.loaded = 0;
    R.source[0] = 0;
}

/* Give every row its primary key and comma-joined aliases, in insertion order. */
static openmed_status name_rows(openmed_error *err) {
    size_t *len = calloc(R.nrows ? R.nrows : 1, sizeof *len);
    if (!len) return om_fail(err, OPENMED_ERR_NO_MEMORY, "model registry: out of memory");
    for (size_t k = 0; k < R.nkeys; k++) {
        key_slot *s = &R.table[R.order[k]];
        openmed_model_info *m = &R.rows[s->row];
        if (!m->key) m->key = s->key; /* the key table owns it */
        else len[s->row] += strlen(s->key) + 1;
    }
    for (size_t i = 0; i < R.nrows; i++) {
        char *a = calloc(1, len[i] + 1);
        if (!a) {
            free(len);
            return om_fail(err, OPENMED_ERR_NO_MEMORY, "model registry: out of memory");
        }
        R.rows[i].aliases = a;
    }
    free(len);
    for (size_t k = 0; k < R.nkeys; k++) {
        key_slot *s = &R.table[R.order[k]];
        openmed_model_info *m = &R.rows[s->row];
        if (m->key == s->key) continue;
        char *a = (char *)m->aliases;
        if (a[0]) strcat(a, ",");
        strcat(a, s->key);
    }
    return OPENMED_OK;
}

static openmed_status build_locked(openmed_error *err) {
    char path[OPENMED_PATH_MAX];
    openmed_status st = find_manifest(path, sizeof path, err);
    if (st) return st;
    size_t cap = 0;
    if ((st = read_manifest(path, &R.rows, &R.nrows, &cap, err))) return st;
    const char *extra = getenv("OPENMED_EXTRA_MODELS");
    if (extra && extra[0] && (st = read_manifest(extra, &R.rows, &R.nrows, &cap, err)))
        return om_fail_prefix(err, st, "OPENMED_EXTRA_MODELS");
    for (size_t i = 0; i < R.nrows; i++) {
        const openmed_model_info *m = &R.rows[i];
        char base[KEY_MAX], key[KEY_MAX * 3];
        primary_key(m, base, sizeof base);
        unique_key(base, m, key, sizeof key);
        if ((st = table_put(key, i, 0, err))) return st;
        for (size_t k = 0; k < sizeof legacy_aliases / sizeof legacy_aliases[0]; k++)
            if (!strcmp(legacy_aliases[k].repo, m->repo_id) && (st = table_put(legacy_aliases[k].alias, i, 0, err)))
                return st;
        if ((st = compat_aliases(m, i, err))) return st;
    }
    for (size_t k = 0; k < sizeof registry_pointers / sizeof registry_pointers[0]; k++)
        for (size_t i = 0; i < R.nrows; i++)
            if (!strcmp(R.rows[i].repo_id, registry_pointers[k].repo)) {
                if ((st = table_put(registry_pointers[k].key, i, 1, err))) return st;
                break;
            }
    if ((st = name_rows(err))) return st;
    snprintf(R.source, sizeof R.source, "%s", path);
    OM_DEBUG("model registry: %zu models, %zu names from %s", R.nrows, R.nkeys, path);
    return OPENMED_OK;
}

openmed_status om_registry_load(openmed_error *err) {
    pthread_mutex_lock(&R.lock);
    openmed_status st = OPENMED_OK;
    if (!R.loaded) {
        st = build_locked(err);
        if (st)
            clear_locked();
        else
            R.loaded = 1;
    }
    pthread_mutex_unlock(&R.lock);
    return st;
}

void om_registry_reset(void) {
    pthread_mutex_lock(&R.lock);
    clear_locked();
    pthread_mutex_unlock(&R.lock);
}

size_t om_registry_count(void) { return R.loaded ? R.nrows : 0; }
size_t om_registry_key_count(void) { return R.loaded ? R.nkeys : 0; }
const char *om_registry_source(void) { return R.source; }

const char *om_registry_key_at(size_t index, const openmed_model_info **model) {
    if (!R.loaded || index >= R.nkeys) return NULL;
    const key_slot *s = &R.table[R.order[index]];
    if (model) *model = &R.rows[s->row];
    return s->key;
}

const openmed_model_info *om_registry_at(size_t index) {
    return R.loaded && index < R.nrows ? &R.rows[index] : NULL;
}

const openmed_model_info *om_registry_lookup(const char *name) {
    if (!R.loaded || !name) return NULL;
    key_slot *s = table_find(name);
    if (s && s->key) return &R.rows[s->row];
    for (size_t i = 0; i < R.nrows; i++)
        if (!strcmp(R.rows[i].repo_id, name)) return &R.rows[i];
    return NULL;
}

/* ---------------------------------------------------------------- public API */

openmed_status openmed_registry_count(size_t *count, openmed_error *err) {
    if (!count) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "openmed_registry_count: count is NULL");
    openmed_status st = om_registry_load(err);
    *count = st ? 0 : R.nrows;
    return st;
}

openmed_status openmed_registry_at(size_t index, openmed_model_info *out, openmed_error *err) {
    if (!out) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "openmed_registry_at: out is NULL");
    openmed_status st = om_registry_load(err);
    if (st) return st;
    if (index >= R.nrows)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "registry index %zu is out of range (%zu models)", index,
                       R.nrows);
    *out = R.rows[index];
    return OPENMED_OK;
}

openmed_status openmed_registry_find(const char *name, openmed_model_info *out, openmed_error *err) {
    if (!name || !out) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "openmed_registry_find: NULL argument");
    openmed_status st = om_registry_load(err);
    if (st) return st;
    const openmed_model_info *m = om_registry_lookup(name);
    if (!m)
        return om_fail(err, OPENMED_ERR_NOT_FOUND,
                       "'%s' is not a registry model (no such key or repo id in %s); try `openmed models list`",
                       name, R.source);
    *out = *m;
    return OPENMED_OK;
}
