/* cmd_models.c: `openmed models list|info|pull`: browse OpenMed's model registry and download a
 * model's runtime files into the Hugging Face cache, with a progress bar on a terminal. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "progress.h"

static const char *models_usage =
    "usage: openmed models list [--family F] [--category C] [--language L] [--runnable] [--cached]\n"
    "                           [--all] [--json]\n"
    "       openmed models info NAME [--json]\n"
    "       openmed models pull NAME [--revision R] [--retries N] [--json] [--quiet]\n"
    "options: --config-path P (OpenMed config file)\n"
    "\n"
    "list   registry models (token-classification only unless --all); filters ignore case.\n"
    "       RUNS says whether this engine can run the model (ONNX-only, GLiNER, EuroBERT and Qwen\n"
    "       models cannot; `models info` says why); CACHED gives its size on disk when pulled.\n"
    "       --runnable / --cached keep only those rows.\n"
    "info   one model by registry name (e.g. disease_detection_tiny) or repo id; a mistyped name\n"
    "       gets the closest registry names (offline)\n"
    "pull   download config, tokenizer and safetensors files into the cache (cache_dir of the\n"
    "       config, ~/.cache/openmed by default) and verify them; HF_ENDPOINT, HF_TOKEN honoured.\n"
    "       Without --revision, registry models are checked against the manifest's pin. A cut,\n"
    "       stalled or refused transfer is resumed within the command: up to N attempts in a row\n"
    "       without progress (default 5, or OPENMED_HUB_RETRIES); HF_HUB_ETAG_TIMEOUT and\n"
    "       HF_HUB_DOWNLOAD_TIMEOUT (seconds, default 10) bound each request. A terminal shows\n"
    "       each file's progress with rate and ETA (--quiet or --json: none).\n";

typedef struct models_args {
    const char *family, *category, *language, *revision, *config_path, *name, *retries;
    int json, all, runnable, cached, quiet;
} models_args;

static int usage_error(const char *what, const char *arg) {
    fprintf(stderr, "openmed models: %s '%s'\n%s", what, arg, models_usage);
    return 2;
}

static int has_item(const char *list, const char *item) {
    size_t len = strlen(item);
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        if (n == len && !strncasecmp(p, item, n)) return 1;
        p += n;
        if (*p == ',') p++;
    }
    return 0;
}

static void format_params(int64_t params, char *out, size_t size) {
    if (params <= 0)
        snprintf(out, size, "-");
    else if (params >= 1000000000)
        snprintf(out, size, "%.1fB", (double)params / 1e9);
    else
        snprintf(out, size, "%.0fM", (double)params / 1e6);
}

static cJSON *split_list(const char *list) {
    cJSON *arr = cJSON_CreateArray();
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        char item[256];
        snprintf(item, sizeof item, "%.*s", (int)n, p);
        cJSON_AddItemToArray(arr, cJSON_CreateString(item));
        p += n;
        if (*p == ',') p++;
    }
    return arr;
}

/* What `list` and `info` say about a model besides its manifest row. */
typedef struct model_status {
    int runnable;
    char reason[256];
    openmed_cache_status cache;
} model_status;

static void get_status(const openmed_model_info *m, const openmed_config *cfg, model_status *out) {
    openmed_error err;
    out->runnable = openmed_registry_runnable(m, out->reason, sizeof out->reason);
    if (openmed_model_cache_status(m->repo_id, cfg, &out->cache, &err) != OPENMED_OK) memset(&out->cache, 0, sizeof out->cache);
}

static cJSON *info_json(const openmed_model_info *m, const model_status *st) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "key", m->key);
    cJSON_AddItemToObject(o, "aliases", split_list(m->aliases));
    cJSON_AddStringToObject(o, "repo_id", m->repo_id);
    cJSON_AddStringToObject(o, "family", m->family);
    cJSON_AddStringToObject(o, "task", m->task);
    cJSON_AddStringToObject(o, "category", m->category);
    cJSON_AddItemToObject(o, "languages", split_list(m->languages));
    if (m->param_count > 0) cJSON_AddNumberToObject(o, "param_count", (double)m->param_count);
    else cJSON_AddNullToObject(o, "param_count");
    cJSON_AddStringToObject(o, "size_category", m->size_category);
    cJSON_AddStringToObject(o, "manifest_architecture", m->architecture);
    cJSON_AddStringToObject(o, "base_model", m->base_model);
    cJSON_AddItemToObject(o, "formats", split_list(m->formats));
    cJSON_AddStringToObject(o, "license", m->license);
    cJSON_AddStringToObject(o, "reproducibility_hash", m->reproducibility_hash);
    cJSON_AddStringToObject(o, "released", m->released);
    cJSON_AddBoolToObject(o, "runnable", st->runnable);
    if (st->runnable) cJSON_AddNullToObject(o, "unsupported_reason");
    else cJSON_AddStringToObject(o, "unsupported_reason", st->reason);
    cJSON_AddBoolToObject(o, "cached", st->cache.cached);
    if (st->cache.cached) {
        cJSON_AddStringToObject(o, "cache_path", st->cache.path);
        cJSON_AddNumberToObject(o, "size_bytes", (double)st->cache.size_bytes);
    } else {
        cJSON_AddNullToObject(o, "cache_path");
        cJSON_AddNullToObject(o, "size_bytes");
    }
    return o;
}

static int print_json(cJSON *doc) {
    char *text = cJSON_Print(doc);
    cJSON_Delete(doc);
    if (!text) return 1;
    puts(text);
    free(text);
    return 0;
}

static int models_list(const models_args *a, const openmed_config *cfg) {
    openmed_error err;
    size_t count = 0;
    if (openmed_registry_count(&count, &err) != OPENMED_OK) return cli_report(&err);
    cJSON *arr = a->json ? cJSON_CreateArray() : NULL;
    size_t shown = 0, runnable = 0, cached = 0;
    if (!a->json)
        printf("%-48s %-4s %-9s %7s %-6s %-15s %-10s %-12s %s\n", "NAME", "RUNS", "CACHED", "PARAMS", "FAMILY",
               "CATEGORY", "LANGUAGES", "LICENSE", "REPO");
    for (size_t i = 0; i < count; i++) {
        openmed_model_info m;
        if (openmed_registry_at(i, &m, &err) != OPENMED_OK) return cli_report(&err);
        if (!a->all && strcmp(m.task, "token-classification") != 0) continue;
        if (a->family && strcasecmp(m.family, a->family) != 0) continue;
        if (a->category && strcasecmp(m.category, a->category) != 0) continue;
        if (a->language && !has_item(m.languages, a->language)) continue;
        model_status st;
        get_status(&m, cfg, &st);
        if (a->runnable && !st.runnable) continue;
        if (a->cached && !st.cache.cached) continue;
        shown++;
        runnable += st.runnable;
        cached += st.cache.cached;
        if (arr) {
            cJSON_AddItemToArray(arr, info_json(&m, &st));
            continue;
        }
        char params[32], size[32] = "-";
        format_params(m.param_count, params, sizeof params);
        if (st.cache.cached) cli_format_bytes(st.cache.size_bytes, size, sizeof size);
        printf("%-48s %-4s %-9s %7s %-6s %-15s %-10s %-12s %s\n", m.key, st.runnable ? "yes" : "no", size, params,
               m.family, m.category, m.languages[0] ? m.languages : "-", m.license[0] ? m.license : "-", m.repo_id);
    }
    if (arr) return print_json(arr);
    fprintf(stderr, "%zu models, %zu of them run here, %zu cached%s\n", shown, runnable, cached,
            a->runnable || a->cached ? "" : " (--runnable, --cached keep only those)");
    return 0;
}

static int models_info(const models_args *a, const openmed_config *cfg) {
    openmed_error err;
    openmed_model_info m;
    if (openmed_registry_find(a->name, &m, &err) != OPENMED_OK) {
        char repo[OPENMED_PATH_MAX];
        if (openmed_model_resolve_name(a->name, cfg, repo, sizeof repo, &err) != OPENMED_OK) return cli_report(&err);
        const char *s[3];
        size_t n = 0;
        openmed_registry_suggest(a->name, s, 3, &n, &err);
        fprintf(stderr, "openmed: '%s' is not a registry model", a->name);
        for (size_t i = 0; i < n; i++) fprintf(stderr, "%s%s", i ? ", " : "; did you mean ", s[i]);
        fprintf(stderr, "%s it resolves to %s (`openmed models pull %s` fetches it from the hub)\n", n ? "?" : ";",
                repo, a->name);
        return 1;
    }
    model_status st;
    get_status(&m, cfg, &st);
    if (a->json) return print_json(info_json(&m, &st));
    char params[32];
    format_params(m.param_count, params, sizeof params);
    printf("name            %s\n", m.key);
    printf("aliases         %s\n", m.aliases[0] ? m.aliases : "-");
    printf("repo            %s\n", m.repo_id);
    printf("family          %s (%s)\n", m.family, m.task);
    printf("category        %s\n", m.category);
    printf("languages       %s\n", m.languages[0] ? m.languages : "-");
    printf("parameters      %s (%s)\n", params, m.size_category);
    printf("architecture    %s (manifest label; config.json decides)\n", m.architecture[0] ? m.architecture : "-");
    printf("base model      %s\n", m.base_model[0] ? m.base_model : "-");
    printf("formats         %s\n", m.formats);
    printf("license         %s\n", m.license[0] ? m.license : "-");
    printf("released        %s\n", m.released[0] ? m.released : "-");
    printf("pin             %s\n", m.reproducibility_hash[0] ? m.reproducibility_hash : "-");
    printf("runs here       %s%s\n", st.runnable ? "yes" : "no: ", st.runnable ? "" : st.reason);
    if (st.cache.cached) {
        char size[32];
        cli_format_bytes(st.cache.size_bytes, size, sizeof size);
        printf("cached          %s (%s)\n", st.cache.path, size);
    } else {
        printf("cached          no (`openmed models pull %s` fetches it)\n", m.key);
    }
    return 0;
}

typedef struct bar_state {
    int tty;             /* draw the bar (stderr is a terminal) */
    char file[256];
    int drawn, permille; /* last drawn fraction, to redraw only on change */
    double start, last;  /* when this file's transfer began, when its line was last drawn */
    double previous;     /* the last report of any file (the library reports a file first after its
                            first bytes, so its transfer began when the one before ended) */
} bar_state;

/* A one-line progress bar on stderr with rate and ETA, redrawn in place at most ten times a second
 * (and at the end of each file). */
static void draw_bar(const char *file, uint64_t done, uint64_t total, void *user) {
    bar_state *b = user;
    int permille = total ? (int)(1000.0 * (double)done / (double)total) : 0;
    double now = cli_now_seconds(), previous = b->previous;
    b->previous = now;
    if (strcmp(b->file, file) != 0) {
        if (b->drawn) fputc('\n', stderr);
        snprintf(b->file, sizeof b->file, "%s", file);
        b->start = previous, b->last = 0;
    } else if (permille == b->permille || (now - b->last < 0.1 && done < total)) {
        return;
    }
    if (!b->tty) return;
    b->permille = permille;
    b->last = now;
    char line[256];
    cli_progress_format_bytes(line, sizeof line, file, done, total, now - b->start);
    fprintf(stderr, "\r  %s\033[K", line);
    fflush(stderr);
    b->drawn = 1;
}

/* The library's warnings during a pull (a transfer resumed, a cache healed) go to stderr on their
 * own line; they name files and URLs, never text. */
static void pull_log(openmed_log_level level, const char *message, void *user) {
    bar_state *b = user;
    if (level < OPENMED_LOG_WARN) return;
    if (b->drawn) fputc('\n', stderr);
    b->drawn = 0;
    b->permille = -1;
    fprintf(stderr, "openmed: %s\n", message);
}

static int models_pull(const models_args *a, const openmed_config *cfg) {
    openmed_error err;
    char repo[OPENMED_PATH_MAX], dir[OPENMED_PATH_MAX];
    if (openmed_model_resolve_name(a->name, cfg, repo, sizeof repo, &err) != OPENMED_OK) return cli_report(&err);
    if (a->retries) { /* the library reads it for every download of this process */
        char *end = NULL;
        long retries = strtol(a->retries, &end, 10);
        if (*end || end == a->retries || retries < 0 || retries > 100)
            return usage_error("bad --retries value", a->retries);
        setenv("OPENMED_HUB_RETRIES", a->retries, 1);
    }
    bar_state bar = {0};
    bar.tty = isatty(STDERR_FILENO) && !a->json && !a->quiet;
    bar.permille = -1;
    bar.previous = cli_now_seconds();
    if (!a->json) fprintf(stderr, "pulling %s (%s, revision %s)\n", a->name, repo, a->revision ? a->revision : "main");
    openmed_log_set(pull_log, &bar);
    openmed_status st = openmed_model_fetch(a->name, a->revision, cfg, draw_bar, &bar, dir, sizeof dir, &err);
    openmed_log_set(NULL, NULL);
    if (bar.drawn) fputc('\n', stderr);
    if (st != OPENMED_OK) return cli_report(&err);
    if (a->json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "model", a->name);
        cJSON_AddStringToObject(o, "repo_id", repo);
        cJSON_AddStringToObject(o, "revision", a->revision ? a->revision : "main");
        cJSON_AddStringToObject(o, "path", dir);
        return print_json(o);
    }
    printf("%s\n", dir);
    return 0;
}

int cmd_models(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(models_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    models_args a = {0};
    for (int i = 2; i < argc; i++) {
        const char *o = argv[i];
        const char **slot = !strcmp(o, "--family")        ? &a.family
                            : !strcmp(o, "--category")    ? &a.category
                            : !strcmp(o, "--language")    ? &a.language
                            : !strcmp(o, "--revision")    ? &a.revision
                            : !strcmp(o, "--config-path") ? &a.config_path
                            : !strcmp(o, "--retries")     ? &a.retries
                                                          : NULL;
        if (slot) {
            if (i + 1 >= argc) return usage_error("missing value for", o);
            *slot = argv[++i];
        } else if (!strcmp(o, "--json")) {
            a.json = 1;
        } else if (!strcmp(o, "--all")) {
            a.all = 1;
        } else if (!strcmp(o, "--runnable")) {
            a.runnable = 1;
        } else if (!strcmp(o, "--cached")) {
            a.cached = 1;
        } else if (!strcmp(o, "--quiet")) {
            a.quiet = 1;
        } else if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
            fputs(models_usage, stdout);
            return 0;
        } else if (o[0] == '-' || a.name) {
            return usage_error("unexpected argument", o);
        } else {
            a.name = o;
        }
    }
    openmed_config cfg;
    openmed_error err;
    openmed_config_init(&cfg);
    if (openmed_config_load_file(&cfg, a.config_path, &err) != OPENMED_OK) return cli_report(&err);
    if (!strcmp(sub, "list")) {
        if (a.name) return usage_error("unexpected argument", a.name);
        return models_list(&a, &cfg);
    }
    if (!strcmp(sub, "info") || !strcmp(sub, "pull")) {
        if (!a.name) return usage_error("missing model name for", sub);
        if ((a.revision || a.retries) && !strcmp(sub, "info")) return usage_error("--revision/--retries do not apply to", sub);
        return !strcmp(sub, "info") ? models_info(&a, &cfg) : models_pull(&a, &cfg);
    }
    return usage_error("unknown subcommand", sub);
}
