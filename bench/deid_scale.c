/* deid_scale.c: does de-identification cost grow linearly with the note? Builds PHI-dense notes of
 * growing size (every 700-byte paragraph with its own name, record number, phone, SSN, e-mail and
 * dates, each repeated), de-identifies each in a fresh process and prints seconds, MB/s and peak
 * RSS per size; time per MB and RSS per MB stay flat when the cost is linear.
 *
 *   bench_deid_scale [--model DIR | --no-model] [--method M] [--sizes 0.5,1,2,5,10] [--secret S]
 *
 * Default: the sweep alone (--no-model); --model runs the PII model over the whole text as well. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "openmed.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const char *const first[] = {"Avery", "Marisol", "Tobias", "Ingrid", "Kwame", "Lucia", "Dmitri", "Aiko"};
static const char *const last[] = {"Quenneville", "Abernathy", "Okonkwo", "Lindqvist", "Castellanos", "Brightwater"};

/* A note of at least `bytes` bytes. */
static char *make_note(size_t bytes, size_t *len) {
    size_t cap = bytes + 4096, n = 0;
    char *s = malloc(cap);
    if (!s) return NULL;
    for (unsigned i = 0; n < bytes; i++) {
        char p[1024];
        const char *f = first[i % 8], *l = last[(i / 8) % 6];
        int k = snprintf(p, sizeof p,
                         "Patient: %s %s%u  MRN: %07u  DOB: %02u/%02u/19%02u\n"
                         "%s %s%u was seen on 2021-%02u-%02u for follow-up of hypertension and type 2 diabetes; "
                         "metformin 500 mg twice daily continues. Call (617) %03u-%04u or e-mail %s.%s%u@example.org. "
                         "SSN %03u-%02u-%04u. Mr. %s%u agreed with the plan; %s%u's daughter will drive.\n"
                         "Seen again March %u, 2022 with Dr. Okafor at 12 Elm Street, Springfield. BP 128/82, HR 71.\n\n",
                         f, l, i, 1000000 + i % 8999999, 1 + i % 12, 1 + i % 28, i % 100, f, l, i, 1 + i % 12,
                         1 + i % 28, 200 + i % 800, i % 10000, f, l, i, 100 + i % 800, 10 + i % 89, 1000 + i % 9000,
                         l, i, l, i, 1 + i % 28);
        if (n + (size_t)k >= cap) break;
        memcpy(s + n, p, (size_t)k);
        n += (size_t)k;
    }
    s[n] = 0;
    *len = n;
    return s;
}

/* One size in this (child) process: prints "MB seconds entities maxrss_kB". */
static int one(const char *model_dir, openmed_deid_method method, const char *secret, double mb) {
    openmed_error err = {0};
    openmed_model *model = NULL;
    if (model_dir && openmed_model_load(model_dir, NULL, &model, &err) != OPENMED_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    size_t len = 0;
    char *note = make_note((size_t)(mb * 1048576.0), &len);
    if (!note) return 1;
    openmed_deid_options o;
    openmed_deid_options_init(&o);
    o.method = method;
    o.secret = (const unsigned char *)secret;
    o.secret_len = strlen(secret);
    struct rusage before;
    getrusage(RUSAGE_SELF, &before);
    double t0 = now();
    openmed_deid_result *r = NULL;
    openmed_status st = openmed_deidentify(model, note, len, &o, &r, &err);
    double t = now() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    if (st != OPENMED_OK) {
        fprintf(stderr, "deidentify: %s\n", err.message);
        return 1;
    }
    printf("%.3f %.3f %zu %ld %ld\n", (double)len / 1048576.0, t, r->n_entities, before.ru_maxrss, ru.ru_maxrss);
    openmed_deid_result_free(r);
    free(note);
    openmed_model_free(model);
    return 0;
}

int main(int argc, char **argv) {
    const char *model = NULL, *sizes = "0.5,1,2,5,10", *secret = "bench key";
    openmed_deid_method method = OPENMED_DEID_MASK;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--model") && i + 1 < argc) model = argv[++i];
        else if (!strcmp(argv[i], "--no-model")) model = NULL;
        else if (!strcmp(argv[i], "--sizes") && i + 1 < argc) sizes = argv[++i];
        else if (!strcmp(argv[i], "--secret") && i + 1 < argc) secret = argv[++i];
        else if (!strcmp(argv[i], "--method") && i + 1 < argc) {
            openmed_error err;
            if (openmed_deid_method_parse(argv[++i], &method, &err) != OPENMED_OK) {
                fprintf(stderr, "%s\n", err.message);
                return 2;
            }
        } else {
            fprintf(stderr, "usage: bench_deid_scale [--model DIR | --no-model] [--method M] [--sizes 0.5,1,2] [--secret S]\n");
            return 2;
        }
    }
    printf("# de-identification cost by note size: %s, method %s\n", model ? model : "sweep only (no model)",
           openmed_deid_method_name(method));
    printf("# %8s %9s %9s %10s %10s %16s\n", "text MB", "seconds", "s per MB", "entities", "peak RSS", "added MB per MB");
    char list[256];
    snprintf(list, sizeof list, "%s", sizes);
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        int fds[2];
        if (pipe(fds) != 0) return 1;
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            dup2(fds[1], 1);
            _exit(one(model, method, secret, atof(tok)));
        }
        close(fds[1]);
        char line[256] = "";
        FILE *f = fdopen(fds[0], "r");
        if (f && !fgets(line, sizeof line, f)) line[0] = 0;
        if (f) fclose(f);
        int status = 0;
        waitpid(pid, &status, 0);
        double mb = 0, t = 0;
        size_t ents = 0;
        long rss0 = 0, rss = 0;
        if (sscanf(line, "%lf %lf %zu %ld %ld", &mb, &t, &ents, &rss0, &rss) != 5) {
            printf("  %8s failed\n", tok);
            continue;
        }
        printf("  %8.2f %9.2f %9.3f %10zu %8.1f MB %16.1f\n", mb, t, t / mb, ents, rss / 1024.0,
               (double)(rss - rss0) / 1024.0 / mb);
    }
    return 0;
}
