/* safetensors.c: validated, memory-mapped reader for safetensors files and sharded checkpoints. */
#include "io/safetensors.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/file.h"
#include "core/json.h"
#include "core/utf8.h"

#define OM_ST_MAX_HEADER 100000000ull       /* the reference reader's MAX_HEADER_SIZE */
#define OM_ST_MAX_OFFSET ((1ull << 48) - 1) /* schema size_t bound */
#define OM_ST_MAX_INDEX (64u << 20)         /* model.safetensors.index.json cap */

typedef struct om_st_shard {
    char *path;
    void *map;
    size_t size;
} om_st_shard;

struct om_safetensors {
    om_st_shard *shards;
    size_t n_shards;
    om_st_tensor *tensors; /* sorted by name */
    size_t n_tensors;
};

/* dtype names of the reference reader and their widths in bits. */
static const struct {
    const char *name;
    unsigned bits;
    om_st_dtype dtype;
} st_dtypes[] = {
    {"BOOL", 8, OM_ST_OTHER},     {"F4", 4, OM_ST_OTHER},       {"F6_E2M3", 6, OM_ST_OTHER},
    {"F6_E3M2", 6, OM_ST_OTHER},  {"U8", 8, OM_ST_OTHER},       {"I8", 8, OM_ST_OTHER},
    {"F8_E5M2", 8, OM_ST_OTHER},  {"F8_E4M3", 8, OM_ST_OTHER},  {"F8_E8M0", 8, OM_ST_OTHER},
    {"I16", 16, OM_ST_OTHER},     {"U16", 16, OM_ST_OTHER},     {"F16", 16, OM_ST_F16},
    {"BF16", 16, OM_ST_BF16},     {"I32", 32, OM_ST_OTHER},     {"U32", 32, OM_ST_OTHER},
    {"F32", 32, OM_ST_F32},       {"C64", 64, OM_ST_OTHER},     {"F64", 64, OM_ST_OTHER},
    {"I64", 64, OM_ST_OTHER},     {"U64", 64, OM_ST_OTHER},
};

static void st_free_tensors(om_st_tensor *t, size_t n) {
    for (size_t i = 0; i < n; i++) free((char *)t[i].name);
    free(t);
}

void om_safetensors_close(om_safetensors *st) {
    if (!st) return;
    st_free_tensors(st->tensors, st->n_tensors);
    for (size_t i = 0; i < st->n_shards; i++) {
        if (st->shards[i].map) munmap(st->shards[i].map, st->shards[i].size);
        free(st->shards[i].path);
    }
    free(st->shards);
    free(st);
}

static int name_cmp(const void *a, const void *b) {
    return strcmp(((const om_st_tensor *)a)->name, ((const om_st_tensor *)b)->name);
}

typedef struct st_span {
    uint64_t begin, end;
    size_t index;
} st_span;

static int span_cmp(const void *a, const void *b) {
    const st_span *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return x->index < y->index ? -1 : (x->index > y->index);
}

/* The offset of the first byte that is not strict UTF-8 (no overlongs, no surrogates, nothing above
 * U+10FFFF), or -1. */
static long utf8_invalid_at(const unsigned char *s, size_t n) {
    size_t bad = om_utf8_validate((const char *)s, n);
    return bad == n ? -1 : (long)bad;
}

static int is_json_ws(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Lexical pre-check of a safetensors header: outside strings only structure, whitespace and
 * digits may appear (so no negative, fractional or exponent numbers, no true/false/null); no raw
 * control bytes; no escaped NUL ("\u0000") in any string. Returns NULL or a reason. */
static const char *header_lex_check(const unsigned char *s, size_t n) {
    int in_string = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c < 0x20 && !(is_json_ws(c) && !in_string)) return "a control byte in the header";
        if (in_string) {
            if (c == '\\') {
                if (i + 1 >= n) return "an unterminated escape";
                if (s[i + 1] == 'u' && i + 5 < n && s[i + 2] == '0' && s[i + 3] == '0' && s[i + 4] == '0' &&
                    s[i + 5] == '0')
                    return "a NUL character (\\u0000) inside a string";
                i++;
            } else if (c == '"') {
                in_string = 0;
            }
        } else if (c == '"') {
            in_string = 1;
        } else if (!(strchr("{}[]:,", c) || (c >= '0' && c <= '9') || is_json_ws(c))) {
            return "a value that is not a string, an object, an array or a non-negative integer";
        }
    }
    return in_string ? "an unterminated string" : NULL;
}

static int str_ptr_cmp(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first key that appears twice in a parsed object (cJSON keeps duplicates), or NULL.
 * *oom is set when the check could not run. */
static const char *first_duplicate_key(const cJSON *obj, size_t count, int *oom) {
    *oom = 0;
    if (count < 2) return NULL;
    const char **names = malloc(count * sizeof *names);
    if (!names) { *oom = 1; return NULL; }
    size_t n = 0;
    for (const cJSON *c = obj->child; c && n < count; c = c->next) names[n++] = c->string;
    qsort(names, n, sizeof *names, str_ptr_cmp);
    const char *dup = NULL;
    for (size_t i = 1; i < n && !dup; i++)
        if (strcmp(names[i - 1], names[i]) == 0) dup = names[i];
    free(names);
    return dup;
}

static int json_uint(const cJSON *v, uint64_t max, uint64_t *out) {
    /* The lexical check already excluded signs, fractions and exponents. */
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > (double)max) return 0;
    *out = (uint64_t)v->valuedouble;
    return 1;
}

/* Map one .safetensors file and append its validated tensors to *tensors. */
static openmed_status open_shard(const char *path, om_st_shard *shard, om_st_tensor **tensors, size_t *n_tensors,
                                 size_t *cap_tensors, openmed_error *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return om_fail(err, errno == ENOENT ? OPENMED_ERR_NOT_FOUND : OPENMED_ERR_IO, "%s: cannot open: %s", path,
                       strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return om_fail(err, OPENMED_ERR_IO, "%s: not a regular file", path);
    }
    uint64_t fsize = (uint64_t)sb.st_size;
    if (fsize < 8) {
        close(fd);
        return om_fail(err, OPENMED_ERR_FORMAT, "%s: safetensors header too small (%llu bytes, need at least 8)",
                       path, (unsigned long long)fsize);
    }
    void *map = mmap(NULL, (size_t)fsize, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return om_fail(err, OPENMED_ERR_IO, "%s: cannot map: %s", path, strerror(errno));
    shard->map = map;
    shard->size = (size_t)fsize;
    const unsigned char *bytes = map;

    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | bytes[i];
    if (n == 0) return om_fail(err, OPENMED_ERR_FORMAT, "%s: safetensors header length is 0", path);
    if (n > OM_ST_MAX_HEADER)
        return om_fail(err, OPENMED_ERR_FORMAT, "%s: safetensors header length %llu exceeds the %llu-byte cap", path,
                       (unsigned long long)n, OM_ST_MAX_HEADER);
    if (n > fsize - 8)
        return om_fail(err, OPENMED_ERR_FORMAT,
                       "%s: safetensors header length %llu runs past the end of the %llu-byte file", path,
                       (unsigned long long)n, (unsigned long long)fsize);
    const unsigned char *hdr = bytes + 8;
    long bad = utf8_invalid_at(hdr, (size_t)n);
    if (bad >= 0) return om_fail(err, OPENMED_ERR_FORMAT, "%s: header is not valid UTF-8 (byte %ld)", path, bad);
    const char *why = header_lex_check(hdr, (size_t)n);
    if (why) return om_fail(err, OPENMED_ERR_FORMAT, "%s: malformed safetensors header: %s", path, why);
    size_t lead = 0;
    while (lead < n && is_json_ws(hdr[lead])) lead++;
    if (lead == n || hdr[lead] != '{')
        return om_fail(err, OPENMED_ERR_FORMAT, "%s: safetensors header is not a JSON object", path);
    const char *end = NULL;
    int oom = 0;
    cJSON *root = om_json_parse((const char *)hdr, (size_t)n, &end, &oom);
    if (oom) return om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory parsing the safetensors header", path);
    if (!root) return om_fail(err, OPENMED_ERR_FORMAT, "%s: safetensors header is not valid JSON", path);
    for (const char *p = end; p < (const char *)hdr + n; p++)
        if (!is_json_ws((unsigned char)*p)) {
            cJSON_Delete(root);
            return om_fail(err, OPENMED_ERR_FORMAT, "%s: trailing bytes after the safetensors header JSON", path);
        }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return om_fail(err, OPENMED_ERR_FORMAT, "%s: safetensors header is not a JSON object", path);
    }
    size_t count = (size_t)cJSON_GetArraySize(root);
    const char *dup = first_duplicate_key(root, count, &oom);
    if (oom || dup) {
        openmed_status s = oom ? om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory", path)
                               : om_fail(err, OPENMED_ERR_FORMAT, "%s: duplicate key \"%.128s\" in the header", path, dup);
        cJSON_Delete(root);
        return s;
    }

    uint64_t data_size = fsize - 8 - n;
    size_t first = *n_tensors;
    st_span *spans = malloc((count ? count : 1) * sizeof *spans);
    if (!spans) {
        cJSON_Delete(root);
        return om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory", path);
    }
    size_t n_spans = 0;
    openmed_status status = OPENMED_OK;
    for (const cJSON *e = root->child; e && status == OPENMED_OK; e = e->next) {
        const char *name = e->string;
        if (strcmp(name, "__metadata__") == 0) {
            if (!cJSON_IsObject(e)) {
                status = om_fail(err, OPENMED_ERR_FORMAT, "%s: __metadata__ is not an object", path);
                break;
            }
            for (const cJSON *m = e->child; m; m = m->next)
                if (!cJSON_IsString(m)) {
                    status = om_fail(err, OPENMED_ERR_FORMAT, "%s: __metadata__ value \"%.128s\" is not a string",
                                     path, m->string);
                    break;
                }
            if (status == OPENMED_OK) {
                int dup_oom = 0;
                const char *d = first_duplicate_key(e, (size_t)cJSON_GetArraySize(e), &dup_oom);
                if (d) status = om_fail(err, OPENMED_ERR_FORMAT, "%s: duplicate __metadata__ key \"%.128s\"", path, d);
                else if (dup_oom) status = om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory", path);
            }
            continue;
        }
        if (!cJSON_IsObject(e)) {
            status = om_fail(err, OPENMED_ERR_FORMAT, "%s: tensor \"%.128s\": entry is not an object", path, name);
            break;
        }
        const cJSON *jd = cJSON_GetObjectItemCaseSensitive(e, "dtype");
        const cJSON *js = cJSON_GetObjectItemCaseSensitive(e, "shape");
        const cJSON *jo = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
        if (!cJSON_IsString(jd) || !cJSON_IsArray(js) || !cJSON_IsArray(jo)) {
            status = om_fail(err, OPENMED_ERR_FORMAT,
                             "%s: tensor \"%.128s\": needs a string dtype, an array shape and array data_offsets", path,
                             name);
            break;
        }
        int dti = -1;
        for (size_t k = 0; k < sizeof st_dtypes / sizeof st_dtypes[0]; k++)
            if (strcmp(jd->valuestring, st_dtypes[k].name) == 0) dti = (int)k;
        if (dti < 0) {
            status = om_fail(err, OPENMED_ERR_FORMAT, "%s: tensor \"%.128s\": unknown dtype \"%.16s\"", path, name,
                             jd->valuestring);
            break;
        }
        int ndim = cJSON_GetArraySize(js);
        if (ndim > OM_ST_MAX_DIMS) {
            status = om_fail(err, OPENMED_ERR_FORMAT, "%s: tensor \"%.128s\": %d dimensions (at most %d supported)",
                             path, name, ndim, OM_ST_MAX_DIMS);
            break;
        }
        om_st_tensor t;
        memset(&t, 0, sizeof t);
        t.ndim = ndim;
        t.dtype = st_dtypes[dti].dtype;
        snprintf(t.dtype_name, sizeof t.dtype_name, "%s", st_dtypes[dti].name);
        uint64_t elems = 1;
        int d = 0;
        for (const cJSON *x = js->child; x; x = x->next, d++) {
            uint64_t dim;
            if (!json_uint(x, OM_ST_MAX_OFFSET, &dim) || __builtin_mul_overflow(elems, dim, &elems)) {
                status = om_fail(err, OPENMED_ERR_FORMAT,
                                 "%s: tensor \"%.128s\": shape dimension %d is not a valid size or the element count "
                                 "overflows",
                                 path, name, d);
                break;
            }
            t.shape[d] = (int64_t)dim;
        }
        if (status != OPENMED_OK) break;
        uint64_t bits;
        if (__builtin_mul_overflow(elems, (uint64_t)st_dtypes[dti].bits, &bits)) {
            status = om_fail(err, OPENMED_ERR_FORMAT, "%s: tensor \"%.128s\": size in bits overflows", path, name);
            break;
        }
        if (bits % 8) {
            status = om_fail(err, OPENMED_ERR_FORMAT, "%s: tensor \"%.128s\": %s data is not a whole number of bytes",
                             path, name, jd->valuestring);
            break;
        }
        uint64_t begin, stop;
        if (cJSON_GetArraySize(jo) != 2 || !json_uint(jo->child, OM_ST_MAX_OFFSET, &begin) ||
            !json_uint(jo->child->next, OM_ST_MAX_OFFSET, &stop)) {
            status = om_fail(err, OPENMED_ERR_FORMAT,
                             "%s: tensor \"%.128s\": data_offsets must be two integers in [0, 2^48)", path, name);
            break;
        }
        if (begin > stop) {
            status = om_fail(err, OPENMED_ERR_FORMAT, "%s: tensor \"%.128s\": data_offsets begin %llu > end %llu",
                             path, name, (unsigned long long)begin, (unsigned long long)stop);
            break;
        }
        if (stop - begin != bits / 8) {
            status = om_fail(err, OPENMED_ERR_FORMAT,
                             "%s: tensor \"%.128s\": data_offsets cover %llu bytes but shape x %s needs %llu", path,
                             name, (unsigned long long)(stop - begin), jd->valuestring,
                             (unsigned long long)(bits / 8));
            break;
        }
        if (stop > data_size) {
            status = om_fail(err, OPENMED_ERR_FORMAT,
                             "%s: tensor \"%.128s\": data_offsets end %llu is past the %llu-byte data section", path,
                             name, (unsigned long long)stop, (unsigned long long)data_size);
            break;
        }
        if (*n_tensors == *cap_tensors) {
            size_t cap = *cap_tensors ? *cap_tensors * 2 : 64;
            om_st_tensor *grown = realloc(*tensors, cap * sizeof *grown);
            if (!grown) {
                status = om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory", path);
                break;
            }
            *tensors = grown;
            *cap_tensors = cap;
        }
        t.name = strdup(name);
        if (!t.name) {
            status = om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory", path);
            break;
        }
        t.data = bytes + 8 + n + begin;
        t.nbytes = (size_t)(stop - begin);
        t.file = shard->path;
        spans[n_spans].begin = begin;
        spans[n_spans].end = stop;
        spans[n_spans].index = *n_tensors;
        n_spans++;
        (*tensors)[(*n_tensors)++] = t;
    }
    cJSON_Delete(root);
    if (status == OPENMED_OK) {
        /* Like the reference: sorted by offsets, the tensors tile the data section exactly. */
        if (n_spans > 1) qsort(spans, n_spans, sizeof *spans, span_cmp);
        uint64_t at = 0;
        for (size_t i = 0; i < n_spans && status == OPENMED_OK; i++) {
            if (spans[i].begin != at)
                status = om_fail(err, OPENMED_ERR_FORMAT, "%s: tensor \"%.128s\": data_offsets begin at %llu, expected %llu (%s)",
                                 path, (*tensors)[spans[i].index].name, (unsigned long long)spans[i].begin,
                                 (unsigned long long)at, spans[i].begin > at ? "a gap" : "an overlap");
            at = spans[i].end;
        }
        if (status == OPENMED_OK && at != data_size)
            status = om_fail(err, OPENMED_ERR_FORMAT,
                             "%s: tensors cover %llu bytes but the data section has %llu (trailing bytes)", path,
                             (unsigned long long)at, (unsigned long long)data_size);
    }
    free(spans);
    if (status != OPENMED_OK) {
        for (size_t i = first; i < *n_tensors; i++) free((char *)(*tensors)[i].name);
        *n_tensors = first;
    }
    return status;
}

static int has_suffix(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* A weight_map value must name a .safetensors file inside the folder. Returns NULL or the reason. */
static const char *index_path_problem(const char *dir_real, const char *dir, const char *file, char *joined,
                                      size_t joined_size) {
    if (!file[0]) return "is empty";
    if (file[0] == '/') return "is an absolute path";
    if (strchr(file, '\\') || strchr(file, ':')) return "contains a backslash or colon";
    if (!has_suffix(file, ".safetensors")) return "does not end in .safetensors";
    for (const char *p = file; *p;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len == 2 && p[0] == '.' && p[1] == '.') return "contains a \"..\" component";
        p += len + (slash ? 1 : 0);
    }
    if (om_path_join(joined, joined_size, dir, file, NULL) != OPENMED_OK) return "is too long";
    char real[PATH_MAX];
    if (!realpath(joined, real)) return NULL; /* missing: open reports it */
    size_t dl = strlen(dir_real);
    if (strncmp(real, dir_real, dl) != 0 || real[dl] != '/') return "resolves (through a symlink) outside the folder";
    return NULL;
}

static openmed_status add_shard(om_safetensors *st, const char *path, size_t *index, openmed_error *err) {
    for (size_t i = 0; i < st->n_shards; i++)
        if (strcmp(st->shards[i].path, path) == 0) {
            *index = i;
            return OPENMED_OK;
        }
    om_st_shard *grown = realloc(st->shards, (st->n_shards + 1) * sizeof *grown);
    if (!grown) return om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory", path);
    st->shards = grown;
    om_st_shard *sh = &st->shards[st->n_shards];
    memset(sh, 0, sizeof *sh);
    sh->path = strdup(path);
    if (!sh->path) return om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory", path);
    *index = st->n_shards++;
    return OPENMED_OK;
}

/* Sort by name for lookup; a name in two shards is an error. */
static openmed_status finish_open(om_safetensors *st, openmed_error *err) {
    if (st->n_tensors > 1) qsort(st->tensors, st->n_tensors, sizeof *st->tensors, name_cmp);
    for (size_t i = 1; i < st->n_tensors; i++)
        if (strcmp(st->tensors[i - 1].name, st->tensors[i].name) == 0)
            return om_fail(err, OPENMED_ERR_FORMAT, "tensor \"%.128s\" is present in both %s and %s",
                           st->tensors[i].name, st->tensors[i - 1].file, st->tensors[i].file);
    return OPENMED_OK;
}

static openmed_status open_index(om_safetensors *st, const char *dir, const char *index_path, size_t *cap,
                                 openmed_error *err) {
    char *text = NULL;
    size_t size = 0;
    openmed_status s = om_read_file(index_path, OM_ST_MAX_INDEX, &text, &size, err);
    if (s != OPENMED_OK) return s;
    if (strlen(text) != size) {
        free(text);
        return om_fail(err, OPENMED_ERR_FORMAT, "%s: contains a NUL byte", index_path);
    }
    if (utf8_invalid_at((const unsigned char *)text, size) >= 0 || strstr(text, "\\u0000")) {
        free(text);
        return om_fail(err, OPENMED_ERR_FORMAT, "%s: not valid UTF-8 or contains an escaped NUL", index_path);
    }
    int oom = 0;
    cJSON *root = om_json_parse(text, size, NULL, &oom);
    free(text);
    if (oom) return om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory parsing it", index_path);
    const cJSON *map = root ? cJSON_GetObjectItemCaseSensitive(root, "weight_map") : NULL;
    if (!cJSON_IsObject(map)) {
        cJSON_Delete(root);
        return om_fail(err, OPENMED_ERR_FORMAT, "%s: %s", index_path,
                       root ? "no \"weight_map\" object" : "not valid JSON");
    }
    char dir_real[PATH_MAX];
    if (!realpath(dir, dir_real)) {
        cJSON_Delete(root);
        return om_fail(err, OPENMED_ERR_IO, "%s: cannot resolve: %s", dir, strerror(errno));
    }
    const char *dup = first_duplicate_key(map, (size_t)cJSON_GetArraySize(map), &oom);
    if (dup || oom) {
        s = dup ? om_fail(err, OPENMED_ERR_FORMAT, "%s: tensor \"%.128s\" listed twice in weight_map", index_path, dup)
                : om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory", index_path);
        cJSON_Delete(root);
        return s;
    }
    /* First every path, then open each shard once. */
    char joined[OPENMED_PATH_MAX];
    for (const cJSON *e = map->child; e && s == OPENMED_OK; e = e->next) {
        if (!cJSON_IsString(e)) {
            s = om_fail(err, OPENMED_ERR_FORMAT, "%s: weight_map entry \"%.128s\" is not a string", index_path,
                        e->string);
            break;
        }
        const char *why = index_path_problem(dir_real, dir, e->valuestring, joined, sizeof joined);
        if (why) {
            s = om_fail(err, OPENMED_ERR_FORMAT, "%s: weight_map file for tensor \"%.128s\" %s", index_path, e->string,
                        why);
            break;
        }
        size_t idx;
        s = add_shard(st, joined, &idx, err);
    }
    for (size_t i = 0; i < st->n_shards && s == OPENMED_OK; i++)
        s = open_shard(st->shards[i].path, &st->shards[i], &st->tensors, &st->n_tensors, cap, err);
    if (s == OPENMED_OK) s = finish_open(st, err);
    /* Every indexed tensor lives in the shard the index names. */
    for (const cJSON *e = map->child; e && s == OPENMED_OK; e = e->next) {
        const om_st_tensor *t = om_safetensors_find(st, e->string);
        om_path_join(joined, sizeof joined, dir, e->valuestring, NULL);
        if (!t || strcmp(t->file, joined) != 0)
            s = om_fail(err, OPENMED_ERR_FORMAT, "%s: tensor \"%.128s\" is listed in %s but not found there",
                        index_path, e->string, e->valuestring);
    }
    cJSON_Delete(root);
    return s;
}

/* Pickle checkpoints are never parsed: say what to do instead. */
static openmed_status refuse_pickle(const char *what, openmed_error *err) {
    return om_fail(err, OPENMED_ERR_UNSUPPORTED,
                   "%s: PyTorch pickle checkpoints (pytorch_model.bin, .pt, .pth) are not loaded because unpickling "
                   "can run arbitrary code; convert the model to safetensors first, e.g. in Python: "
                   "AutoModelForTokenClassification.from_pretrained(path).save_pretrained(path, "
                   "safe_serialization=True)",
                   what);
}

openmed_status om_safetensors_open(const char *path, om_safetensors **out, openmed_error *err) {
    *out = NULL;
    if (!path || !path[0]) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "safetensors: empty path");
    om_safetensors *st = calloc(1, sizeof *st);
    if (!st) return om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory", path);
    size_t cap = 0;
    openmed_status s;
    char file[OPENMED_PATH_MAX];
    if (om_dir_exists(path)) {
        char index[OPENMED_PATH_MAX];
        s = om_path_join(index, sizeof index, path, "model.safetensors.index.json", err);
        if (s == OPENMED_OK) s = om_path_join(file, sizeof file, path, "model.safetensors", err);
        if (s == OPENMED_OK) {
            if (om_file_exists(file)) {
                size_t idx;
                s = add_shard(st, file, &idx, err);
                if (s == OPENMED_OK) s = open_shard(file, &st->shards[0], &st->tensors, &st->n_tensors, &cap, err);
                if (s == OPENMED_OK) s = finish_open(st, err);
            } else if (om_file_exists(index)) {
                s = open_index(st, path, index, &cap, err);
            } else {
                char probe[OPENMED_PATH_MAX];
                int pickle = 0;
                const char *names[] = {"pytorch_model.bin", "pytorch_model.bin.index.json", "model.pt", "model.pth"};
                for (size_t i = 0; i < 4 && !pickle; i++)
                    pickle = om_path_join(probe, sizeof probe, path, names[i], NULL) == OPENMED_OK &&
                             om_file_exists(probe);
                s = pickle ? refuse_pickle(path, err)
                           : om_fail(err, OPENMED_ERR_NOT_FOUND,
                                     "%s: no model.safetensors or model.safetensors.index.json in this folder", path);
            }
        }
    } else if (has_suffix(path, ".bin") || has_suffix(path, ".pt") || has_suffix(path, ".pth") ||
               has_suffix(path, ".pkl")) {
        s = refuse_pickle(path, err);
    } else {
        size_t idx;
        s = add_shard(st, path, &idx, err);
        if (s == OPENMED_OK) s = open_shard(path, &st->shards[0], &st->tensors, &st->n_tensors, &cap, err);
        if (s == OPENMED_OK) s = finish_open(st, err);
    }
    if (s != OPENMED_OK) {
        om_safetensors_close(st);
        return s;
    }
    *out = st;
    return OPENMED_OK;
}

const om_st_tensor *om_safetensors_find(const om_safetensors *st, const char *name) {
    if (!st || !name || !st->n_tensors) return NULL;
    om_st_tensor key;
    key.name = name;
    return bsearch(&key, st->tensors, st->n_tensors, sizeof key, name_cmp);
}

size_t om_safetensors_count(const om_safetensors *st) { return st ? st->n_tensors : 0; }

const om_st_tensor *om_safetensors_at(const om_safetensors *st, size_t i) {
    return st && i < st->n_tensors ? &st->tensors[i] : NULL;
}

void om_safetensors_drop_pages(const om_st_tensor *t) {
    long page = sysconf(_SC_PAGESIZE);
    if (!t || !t->data || page <= 0) return;
    uintptr_t begin = (uintptr_t)t->data, end = begin + t->nbytes, mask = (uintptr_t)page - 1;
    uintptr_t first = (begin + mask) & ~mask, last = end & ~mask;
    if (last > first) (void)madvise((void *)first, last - first, MADV_DONTNEED);
}
