/* serve_models.c: the models `openmed serve` holds: request names resolved to one entry per model
 * (registry key, repo id, or a local folder named at start-up; a client never names a path),
 * loaded on first use, the least recently used idle one unloaded beyond --max-models, and each
 * worker's pipelines kept with the model they run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "clock.h"
#include "serve.h"

enum { PIPE_SLOTS = 4 }; /* pipelines per worker per model (one per distinct set of options) */

typedef struct pipe_slot {
    uint64_t key;
    openmed_pipeline *pipe;
    uint64_t used;
} pipe_slot;

struct om_served_model {
    om_served_model *next;
    char key[OPENMED_PATH_MAX];       /* what makes two names one model: "local:NAME" or a repo id */
    char name[320];                   /* shown in responses and logs */
    char load_from[OPENMED_PATH_MAX]; /* what openmed_model_load gets; never shown */
    openmed_model *model;
    int loading;
    openmed_status load_status;       /* a failed load, kept for the jobs still holding the entry */
    openmed_error load_error;
    int linked;                       /* found by name; 0 once unloaded, failed or evicted */
    long refs;                        /* requests and jobs holding it */
    uint64_t last_used;
    double loaded_at;
    pipe_slot *slots;                 /* [workers][PIPE_SLOTS], each row touched by its worker alone */
    long n_pipes;                     /* atomic: pipelines in the slots (for /models/loaded) */
    int n_workers;
};

typedef struct alias {
    char name[320];
    char path[OPENMED_PATH_MAX];
} alias;

struct om_models {
    pthread_mutex_t lock;
    pthread_cond_t loaded;
    const om_serve_config *cfg;
    om_served_model *head;
    size_t n_linked;
    uint64_t clock;
    alias aliases[2];
    size_t n_aliases;
    char default_name[2][320]; /* [0] analyze, [1] PII */
    char warm[16][320];
    size_t n_warm;
};

/* --model / --pii-model: "NAME=PATH" or a folder (a local alias), else a model name. The bundled
 * folders are called "bundled/<folder>". */
static int add_default(om_models *m, int which, const char *value, char *why, size_t why_size) {
    char bundled[OPENMED_PATH_MAX];
    const char *kind = which ? "pii" : "disease";
    char name[320] = "", path[OPENMED_PATH_MAX] = "";
    if (!value) {
        if (!cli_bundled_model(kind, bundled, sizeof bundled)) {
            snprintf(why, why_size, "no %s given and this build has no bundled %s model", which ? "--pii-model" : "--model",
                     which ? "PII" : "disease");
            return -1;
        }
        const char *folder = strrchr(bundled, '/'); /* "disease-ner", "pii" */
        snprintf(name, sizeof name, "bundled/%.300s", folder ? folder + 1 : kind);
        snprintf(path, sizeof path, "%s", bundled);
    } else if (strchr(value, '=')) {
        const char *eq = strchr(value, '=');
        snprintf(name, sizeof name, "%.*s", (int)(eq - value), value);
        snprintf(path, sizeof path, "%s", eq + 1);
        struct stat st;
        if (!name[0] || stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
            snprintf(why, why_size, "%s NAME=PATH: PATH must be a model folder", which ? "--pii-model" : "--model");
            return -1;
        }
    } else {
        struct stat st;
        if (stat(value, &st) == 0 && S_ISDIR(st.st_mode)) {
            const char *base = strrchr(value, '/');
            while (base && !base[1] && base > value) { /* a trailing slash */
                const char *p = base - 1;
                while (p > value && *p != '/') p--;
                base = *p == '/' ? p : NULL;
            }
            snprintf(name, sizeof name, "%s", base ? base + 1 : value);
            char *slash = strchr(name, '/');
            if (slash) *slash = '\0';
            snprintf(path, sizeof path, "%s", value);
        } else {
            snprintf(m->default_name[which], sizeof m->default_name[which], "%s", value);
            return 0;
        }
    }
    snprintf(m->default_name[which], sizeof m->default_name[which], "%s", name);
    for (size_t i = 0; i < m->n_aliases; i++)
        if (!strcmp(m->aliases[i].name, name) && strcmp(m->aliases[i].path, path)) {
            snprintf(why, why_size, "--model and --pii-model give two folders the same name '%s' (use NAME=PATH)", name);
            return -1;
        }
    snprintf(m->aliases[m->n_aliases].name, sizeof m->aliases[0].name, "%s", name);
    snprintf(m->aliases[m->n_aliases].path, sizeof m->aliases[0].path, "%s", path);
    m->n_aliases++;
    return 0;
}

int om_models_create(const om_serve_config *cfg, om_models **out, char *why, size_t why_size) {
    om_models *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    m->cfg = cfg;
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->loaded, NULL);
    if (add_default(m, 0, cfg->analyze_model, why, why_size) || add_default(m, 1, cfg->pii_model, why, why_size)) {
        om_models_free(m);
        return -1;
    }
    *out = m;
    return 0;
}

static void entry_free(om_served_model *sm) {
    if (!sm) return;
    for (int i = 0; sm->slots && i < sm->n_workers * PIPE_SLOTS; i++) openmed_pipeline_free(sm->slots[i].pipe);
    free(sm->slots);
    openmed_model_free(sm->model);
    free(sm);
}

void om_models_free(om_models *m) {
    if (!m) return;
    for (om_served_model *sm = m->head, *next; sm; sm = next) {
        next = sm->next;
        entry_free(sm);
    }
    pthread_mutex_destroy(&m->lock);
    pthread_cond_destroy(&m->loaded);
    free(m);
}

static void unlink_entry(om_models *m, om_served_model *sm) {
    for (om_served_model **p = &m->head; *p; p = &(*p)->next)
        if (*p == sm) {
            *p = sm->next;
            break;
        }
    sm->next = NULL;
    if (sm->linked) m->n_linked--;
    sm->linked = 0;
}

/* A name a client may use: registry keys and repo ids, nothing that reads as a path. */
static int name_shape_ok(const char *name) {
    if (!name[0] || name[0] == '.' || name[0] == '-' || name[0] == '/' || strstr(name, "..") || strstr(name, "//"))
        return 0;
    int slashes = 0;
    for (const char *p = name; *p; p++) {
        char c = *p;
        if (c == '/') slashes++;
        else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                   c == '.'))
            return 0;
    }
    return slashes <= 1 && name[strlen(name) - 1] != '/';
}

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* key, display name and load target of a name; 0 or -1 with err. */
static int resolve(om_models *m, const char *name, char *key, char *shown, char *load_from, om_model_error *err) {
    for (size_t i = 0; i < m->n_aliases; i++)
        if (!strcmp(m->aliases[i].name, name)) {
            snprintf(key, OPENMED_PATH_MAX, "local:%s", name);
            snprintf(shown, 320, "%.300s", name);
            snprintf(load_from, OPENMED_PATH_MAX, "%s", m->aliases[i].path);
            return 0;
        }
    err->status = 422;
    err->code = "validation_error";
    err->field = "body.model_name";
    if (!name_shape_ok(name)) {
        snprintf(err->message, sizeof err->message,
                 "body.model_name: must be a registry name or a repo id such as OpenMed/NAME");
        return -1;
    }
    openmed_model_info info;
    openmed_error e = {0};
    char target[OPENMED_PATH_MAX];
    if (openmed_registry_find(name, &info, NULL) == OPENMED_OK) {
        snprintf(target, sizeof target, "%s", info.repo_id);
    } else if (exists(name) || openmed_model_resolve_name(name, NULL, target, sizeof target, &e) != OPENMED_OK) {
        err->field = NULL;
        err->status = exists(name) ? 400 : 404;
        err->code = exists(name) ? "bad_request" : "model_not_found";
        snprintf(err->message, sizeof err->message, "%s",
                 exists(name) ? "model_name names a folder on the server: local models are served only when given "
                                "at start-up (--model NAME=PATH)"
                              : "model_name is neither a registry name nor a valid repo id");
        return -1;
    }
    if (exists(target)) {
        err->field = NULL;
        err->status = 400;
        err->code = "bad_request";
        snprintf(err->message, sizeof err->message,
                 "model_name resolves to a folder on the server: local models are served only when given at start-up");
        return -1;
    }
    snprintf(key, OPENMED_PATH_MAX, "%s", target);
    snprintf(shown, 320, "%.300s", target);
    snprintf(load_from, OPENMED_PATH_MAX, "%s", target);
    return 0;
}

/* Make room for one more entry: unload the least recently used idle one. Lock held. */
static int make_room(om_models *m) {
    while (m->n_linked >= (size_t)m->cfg->max_models) {
        om_served_model *lru = NULL;
        for (om_served_model *sm = m->head; sm; sm = sm->next)
            if (sm->refs == 0 && !sm->loading && (!lru || sm->last_used < lru->last_used)) lru = sm;
        if (!lru) return -1;
        unlink_entry(m, lru);
        if (m->cfg->access_log) fprintf(stderr, "openmed serve: unloaded %s (least recently used)\n", lru->name);
        entry_free(lru);
        om_metrics_model_eviction();
    }
    return 0;
}

om_served_model *om_models_acquire(om_models *m, const char *name, int pii, const char *lang, om_model_error *err) {
    if (!name) {
        if (pii && lang && strcmp(lang, "en")) {
            name = om_serve_default_pii_model(lang);
            if (!name) {
                err->status = 422;
                err->code = "validation_error";
                err->field = "body.lang";
                snprintf(err->message, sizeof err->message,
                         "body.lang: OpenMed has no default PII model for this language; give model_name");
                return NULL;
            }
        } else {
            name = m->default_name[pii ? 1 : 0];
        }
    }
    char key[OPENMED_PATH_MAX], shown[320], load_from[OPENMED_PATH_MAX];
    if (resolve(m, name, key, shown, load_from, err)) return NULL;
    pthread_mutex_lock(&m->lock);
    om_served_model *sm = m->head;
    while (sm && strcmp(sm->key, key)) sm = sm->next;
    if (!sm) {
        if (make_room(m)) {
            pthread_mutex_unlock(&m->lock);
            err->status = 503;
            err->code = "model_capacity";
            snprintf(err->message, sizeof err->message,
                     "all %d model slots hold models in use; retry when one is idle (--max-models)", m->cfg->max_models);
            return NULL;
        }
        sm = calloc(1, sizeof *sm);
        int workers = m->cfg->workers > 0 ? m->cfg->workers : 1;
        if (sm) sm->slots = calloc((size_t)workers * PIPE_SLOTS, sizeof *sm->slots);
        if (!sm || !sm->slots) {
            free(sm);
            pthread_mutex_unlock(&m->lock);
            err->status = 500;
            err->code = "internal_error";
            snprintf(err->message, sizeof err->message, "out of memory");
            return NULL;
        }
        sm->n_workers = workers;
        snprintf(sm->key, sizeof sm->key, "%s", key);
        snprintf(sm->name, sizeof sm->name, "%s", shown);
        snprintf(sm->load_from, sizeof sm->load_from, "%s", load_from);
        sm->linked = 1;
        sm->next = m->head;
        m->head = sm;
        m->n_linked++;
    }
    sm->refs++;
    sm->last_used = ++m->clock;
    pthread_mutex_unlock(&m->lock);
    return sm;
}

void om_models_release(om_models *m, om_served_model *sm) {
    if (!sm) return;
    pthread_mutex_lock(&m->lock);
    int free_it = --sm->refs == 0 && !sm->linked;
    pthread_mutex_unlock(&m->lock);
    if (free_it) entry_free(sm);
}

const char *om_served_model_name(const om_served_model *sm) { return sm->name; }

const openmed_model *om_served_model_get(const om_served_model *sm) { return __atomic_load_n(&sm->model, __ATOMIC_ACQUIRE); }

openmed_status om_served_model_ensure(om_models *m, om_served_model *sm, openmed_error *err) {
    /* The hot path: loaded once, the model stays until its last reference goes (the caller holds one). */
    if (__atomic_load_n(&sm->model, __ATOMIC_ACQUIRE)) return OPENMED_OK;
    pthread_mutex_lock(&m->lock);
    while (sm->loading) pthread_cond_wait(&m->loaded, &m->lock);
    if (sm->model || sm->load_status != OPENMED_OK) {
        openmed_status st = sm->model ? OPENMED_OK : sm->load_status;
        if (st != OPENMED_OK && err) *err = sm->load_error;
        pthread_mutex_unlock(&m->lock);
        return st;
    }
    sm->loading = 1;
    pthread_mutex_unlock(&m->lock);

    openmed_model_options mo;
    openmed_model_options_init(&mo);
    mo.device = m->cfg->device;
    mo.num_threads = m->cfg->threads;
    mo.dtype = m->cfg->dtype;
    openmed_model *model = NULL;
    openmed_error e = {0};
    double t0 = cli_now_seconds();
    openmed_status st = openmed_model_load(sm->load_from, &mo, &model, &e);
    double took = cli_now_seconds() - t0;
    om_metrics_model_load(st == OPENMED_OK, took);
    if (m->cfg->access_log) {
        if (st == OPENMED_OK)
            fprintf(stderr, "openmed serve: loaded %s on %s in %.2f s\n", sm->name, openmed_model_device(model), took);
        else
            fprintf(stderr, "openmed serve: could not load %s (%s)\n", sm->name, openmed_status_name(st));
    }

    pthread_mutex_lock(&m->lock);
    sm->loading = 0;
    if (st == OPENMED_OK) {
        sm->loaded_at = cli_now_seconds();
        __atomic_store_n(&sm->model, model, __ATOMIC_RELEASE);
    } else {
        /* The library's message may name a cache path: the client gets the status, not the path. */
        sm->load_status = st;
        sm->load_error.status = st;
        snprintf(sm->load_error.message, sizeof sm->load_error.message, "model '%s' could not be loaded (%s)", sm->name,
                 openmed_status_name(st));
        if (sm->linked) unlink_entry(m, sm); /* the next request tries again */
        if (err) *err = sm->load_error;
    }
    pthread_cond_broadcast(&m->loaded);
    pthread_mutex_unlock(&m->lock);
    return st;
}

openmed_pipeline **om_served_model_pipelines(om_served_model *sm, int worker, uint64_t key) {
    pipe_slot *slots = sm->slots + (size_t)worker * PIPE_SLOTS, *pick = NULL;
    uint64_t latest = 0;
    for (int i = 0; i < PIPE_SLOTS; i++) latest = slots[i].used > latest ? slots[i].used : latest;
    for (int i = 0; i < PIPE_SLOTS; i++)
        if (slots[i].pipe && slots[i].key == key) pick = &slots[i];
    if (!pick) {
        for (int i = 0; i < PIPE_SLOTS; i++)
            if (!pick || !slots[i].pipe || (pick->pipe && slots[i].used < pick->used)) pick = &slots[i];
        if (pick->pipe) __atomic_sub_fetch(&sm->n_pipes, 1, __ATOMIC_RELAXED);
        openmed_pipeline_free(pick->pipe);
        pick->pipe = NULL;
        pick->key = key;
    }
    pick->used = latest + 1;
    return &pick->pipe;
}

void om_served_model_pipeline_made(om_served_model *sm) { __atomic_add_fetch(&sm->n_pipes, 1, __ATOMIC_RELAXED); }

int om_models_preload(om_models *m, char *why, size_t why_size) {
    for (size_t i = 0; i < m->cfg->n_preload; i++) {
        om_model_error me = {0};
        om_served_model *sm = om_models_acquire(m, m->cfg->preload[i], 0, NULL, &me);
        if (!sm) {
            snprintf(why, why_size, "--preload %s: %s", m->cfg->preload[i], me.message);
            return -1;
        }
        openmed_error e = {0};
        openmed_status st = om_served_model_ensure(m, sm, &e);
        if (st == OPENMED_OK && m->n_warm < 16) snprintf(m->warm[m->n_warm++], sizeof m->warm[0], "%s", sm->name);
        om_models_release(m, sm);
        if (st != OPENMED_OK) {
            snprintf(why, why_size, "--preload %s: %s", m->cfg->preload[i], e.message);
            return -1;
        }
    }
    return 0;
}

static void json_str(om_strbuf *out, const char *s) { om_strbuf_json_string(out, s, strlen(s)); }

void om_models_loaded_json(om_models *m, om_strbuf *out) {
    pthread_mutex_lock(&m->lock);
    double now = cli_now_seconds();
    om_strbuf_printf(out, "{\"max_resident_models\": %d, \"default_models\": {\"analyze\": ", m->cfg->max_models);
    json_str(out, m->default_name[0]);
    om_strbuf_puts(out, ", \"pii\": ");
    json_str(out, m->default_name[1]);
    om_strbuf_puts(out, "}, \"warm_models\": [");
    for (size_t i = 0; i < m->n_warm; i++) {
        if (i) om_strbuf_puts(out, ", ");
        json_str(out, m->warm[i]);
    }
    om_strbuf_puts(out, "], \"models\": {");
    int first = 1;
    for (om_served_model *sm = m->head; sm; sm = sm->next) {
        long pipes = __atomic_load_n(&sm->n_pipes, __ATOMIC_RELAXED);
        om_strbuf_puts(out, first ? "" : ", ");
        first = 0;
        json_str(out, sm->name);
        om_strbuf_printf(out, ": {\"state\": \"%s\", \"device\": ", sm->model ? "loaded" : sm->loading ? "loading" : "queued");
        if (sm->model) json_str(out, openmed_model_device(sm->model));
        else om_strbuf_puts(out, "null");
        om_strbuf_puts(out, ", \"model_type\": ");
        if (sm->model) json_str(out, openmed_model_type(sm->model));
        else om_strbuf_puts(out, "null");
        om_strbuf_printf(out, ", \"active_requests\": %ld, \"pipelines\": %ld, \"loaded_seconds_ago\": ", sm->refs, pipes);
        if (sm->model) om_strbuf_printf(out, "%.1f", now - sm->loaded_at);
        else om_strbuf_puts(out, "null");
        om_strbuf_puts(out, "}");
    }
    om_strbuf_puts(out, "}}\n");
    pthread_mutex_unlock(&m->lock);
}

size_t om_models_count_loaded(om_models *m) {
    pthread_mutex_lock(&m->lock);
    size_t n = 0;
    for (om_served_model *sm = m->head; sm; sm = sm->next) n += sm->model != NULL;
    pthread_mutex_unlock(&m->lock);
    return n;
}

/* 1 if the comma-separated list holds `item`. */
static int list_has(const char *list, const char *item) {
    size_t n = strlen(item);
    for (const char *p = list; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t k = comma ? (size_t)(comma - p) : strlen(p);
        if (k == n && !strncmp(p, item, n)) return 1;
        p = comma ? comma + 1 : NULL;
    }
    return 0;
}

static void json_list(om_strbuf *out, const char *list) {
    om_strbuf_puts(out, "[");
    int first = 1;
    for (const char *p = list; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t k = comma ? (size_t)(comma - p) : strlen(p);
        if (k) {
            om_strbuf_puts(out, first ? "" : ", ");
            om_strbuf_json_string(out, p, k);
            first = 0;
        }
        p = comma ? comma + 1 : NULL;
    }
    om_strbuf_puts(out, "]");
}

void om_models_list_json(om_models *m, const char *family, const char *language, om_strbuf *out) {
    om_strbuf_puts(out, "{\"default_models\": {\"analyze\": ");
    json_str(out, m->default_name[0]);
    om_strbuf_puts(out, ", \"pii\": ");
    json_str(out, m->default_name[1]);
    om_strbuf_puts(out, "}, \"local_models\": [");
    for (size_t i = 0; i < m->n_aliases; i++) {
        if (i) om_strbuf_puts(out, ", ");
        json_str(out, m->aliases[i].name);
    }
    om_strbuf_puts(out, "], \"loaded\": [");
    pthread_mutex_lock(&m->lock);
    int first = 1;
    for (om_served_model *sm = m->head; sm; sm = sm->next) {
        if (!sm->model) continue;
        om_strbuf_puts(out, first ? "" : ", ");
        json_str(out, sm->name);
        first = 0;
    }
    pthread_mutex_unlock(&m->lock);
    om_strbuf_puts(out, "], \"registry\": [");
    size_t count = 0, shown = 0;
    openmed_error e = {0};
    if (openmed_registry_count(&count, &e) != OPENMED_OK) count = 0;
    for (size_t i = 0; i < count; i++) {
        openmed_model_info info;
        if (openmed_registry_at(i, &info, NULL) != OPENMED_OK) continue;
        if (family && strcasecmp(info.family, family)) continue;
        if (language && !list_has(info.languages, language)) continue;
        om_strbuf_puts(out, shown++ ? ",\n  {\"key\": " : "\n  {\"key\": ");
        json_str(out, info.key);
        om_strbuf_puts(out, ", \"repo_id\": ");
        json_str(out, info.repo_id);
        om_strbuf_puts(out, ", \"family\": ");
        json_str(out, info.family);
        om_strbuf_puts(out, ", \"category\": ");
        json_str(out, info.category);
        om_strbuf_puts(out, ", \"languages\": ");
        json_list(out, info.languages);
        om_strbuf_puts(out, ", \"size_category\": ");
        json_str(out, info.size_category);
        om_strbuf_puts(out, "}");
    }
    om_strbuf_printf(out, "%s], \"count\": %zu}\n", shown ? "\n" : "", shown);
}

int om_models_unload(om_models *m, const char *name, int all, om_strbuf *out, om_model_error *err) {
    char key[OPENMED_PATH_MAX] = "", shown[320], load_from[OPENMED_PATH_MAX];
    if (!all && resolve(m, name, key, shown, load_from, err)) return -1;
    om_strbuf unloaded, busy;
    om_strbuf_init(&unloaded);
    om_strbuf_init(&busy);
    int n_unloaded = 0, n_busy = 0, matched = 0;
    pthread_mutex_lock(&m->lock);
    for (om_served_model *sm = m->head, *next; sm; sm = next) {
        next = sm->next;
        if (!all && strcmp(sm->key, key)) continue;
        matched = 1;
        if (sm->refs > 0 || sm->loading) {
            om_strbuf_puts(&busy, n_busy++ ? ", " : "");
            json_str(&busy, sm->name);
            om_strbuf_printf(&busy, ": %ld", sm->refs);
            continue;
        }
        om_strbuf_puts(&unloaded, n_unloaded++ ? ", " : "");
        json_str(&unloaded, sm->name);
        unlink_entry(m, sm);
        entry_free(sm);
    }
    pthread_mutex_unlock(&m->lock);
    om_strbuf_printf(out, "{\"unloaded\": [%s], \"active\": {%s}, \"not_loaded\": [", unloaded.len ? unloaded.data : "",
                     busy.len ? busy.data : "");
    if (!all && !matched) json_str(out, shown);
    om_strbuf_puts(out, "]}\n");
    om_strbuf_free(&unloaded);
    om_strbuf_free(&busy);
    return 0;
}
