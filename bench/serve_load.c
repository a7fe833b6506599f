/* serve_load.c: load for a running `openmed serve`: for each number of concurrent clients, the same
 * requests (short synthetic clinical sentences, no real PHI) over keep-alive connections; prints
 * requests per second, p50 and p99 latency, and whether every answer equals the answer the first
 * run got for the same text (timestamps and timings aside; confidence scores are compared apart,
 * as their largest difference: packed batches of other shapes round them differently).
 *
 * usage: serve_load --port N [--host 127.0.0.1] [--route /analyze] [--clients 1,16] [--requests 400]
 *                   [--rounds 2] [--api-key KEY]
 * Rounds alternate the client counts (1, 16, 1, 16, ...) so a machine shared with others loads each
 * alike; each line is one run, the summary takes the best round of each. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const sentences[] = {
    "The patient has cystic fibrosis.",
    "History of type 2 diabetes mellitus and hypertension, on metformin 500 mg twice daily.",
    "She was diagnosed with breast cancer in 2015 and completed chemotherapy.",
    "No evidence of pneumonia on the chest radiograph.",
    "Family history is notable for Huntington disease in the father.",
    "Presented with acute myocardial infarction and was taken for catheterization.",
    "Chronic kidney disease stage 3, stable creatinine.",
    "Seen for follow-up of rheumatoid arthritis; joint pain improved.",
    "The child has Duchenne muscular dystrophy with progressive weakness.",
    "Asthma exacerbation treated with nebulized albuterol.",
    "Call (617) 555-0142 to schedule the next visit.",
    "Patient John Smith was seen by Dr. Emily Carter today.",
    "Email the report to care.team@example.org before Friday.",
    "Known hypothyroidism, continues levothyroxine 75 mcg daily.",
    "Colonoscopy showed ulcerative colitis limited to the rectum.",
    "Atrial fibrillation with rapid ventricular response on admission.",
    "Multiple sclerosis diagnosed after optic neuritis in 2019.",
    "Screening for hepatitis C was negative.",
    "Parkinson disease with resting tremor of the right hand.",
    "Hemophilia A, factor VIII levels below one percent.",
    "Osteoarthritis of both knees limits walking distance.",
    "MRN 00482913, admitted through the emergency department.",
    "Severe sepsis secondary to a urinary tract infection.",
    "Migraine without aura, two episodes per month.",
    "Sickle cell anemia with a recent vaso-occlusive crisis.",
    "Chronic obstructive pulmonary disease, on home oxygen.",
    "Follow-up for Crohn disease after ileal resection.",
    "Epilepsy controlled on levetiracetam, no seizures this year.",
    "Psoriasis plaques on both elbows, topical steroids continued.",
    "Alzheimer disease with moderate memory impairment.",
    "Lives with her daughter Maria Lopez, phone 415.555.0199.",
    "Glaucoma in the left eye, intraocular pressure controlled.",
};
#define N_SENTENCES (sizeof sentences / sizeof sentences[0])

typedef struct reply {
    char *data;
    size_t len, cap;
} reply;

static size_t collect(char *p, size_t size, size_t n, void *userdata) {
    reply *r = userdata;
    size_t k = size * n;
    if (r->len + k + 1 > r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 4096;
        while (cap < r->len + k + 1) cap *= 2;
        char *grown = realloc(r->data, cap);
        if (!grown) return 0;
        r->data = grown;
        r->cap = cap;
    }
    memcpy(r->data + r->len, p, k);
    r->len += k;
    r->data[r->len] = '\0';
    return k;
}

/* The answer without "timestamp" and "processing_time" values (they differ run to run) and with
 * every "confidence" value replaced by '#' and kept in scores[] (at most max_scores). */
static char *normalize(const char *s, float *scores, int max_scores, int *n_scores) {
    char *out = malloc(strlen(s) + 1), *o = out;
    if (!out) return NULL;
    *n_scores = 0;
    while (*s) {
        const char *keys[] = {"\"timestamp\": ", "\"processing_time\": ", "\"confidence\": "};
        int skipped = 0;
        for (int k = 0; k < 3 && !skipped; k++) {
            size_t n = strlen(keys[k]);
            if (strncmp(s, keys[k], n)) continue;
            s += n;
            if (k == 2) {
                if (*n_scores < max_scores) scores[(*n_scores)++] = strtof(s, NULL);
                memcpy(o, "#", 1);
                o++;
            }
            if (*s == '"') {
                s++;
                while (*s && *s != '"') s++;
                if (*s) s++;
            } else {
                while (*s && *s != ',' && *s != '}' && *s != '\n') s++;
            }
            skipped = 1;
        }
        if (!skipped) *o++ = *s++;
    }
    *o = '\0';
    return out;
}

enum { MAX_SCORES = 64 };

typedef struct answer {
    char *text;               /* normalized */
    float scores[MAX_SCORES];
    int n_scores;
} answer;

typedef struct run {
    const char *url, *auth;
    int clients, requests;
    double *latency;   /* [requests] */
    answer *answers;   /* [N_SENTENCES]: the reference answers (filled by the first run) */
    int fill;          /* this run fills answers */
    int mismatches, failures;
    double max_score_diff;
    int next;          /* the next request number, shared */
    pthread_mutex_t lock;
} run;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *client(void *arg) {
    run *R = arg;
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    if (R->auth) h = curl_slist_append(h, R->auth);
    reply rep = {0};
    curl_easy_setopt(c, CURLOPT_URL, R->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &rep);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 300L);
    char body[512];
    for (;;) {
        pthread_mutex_lock(&R->lock);
        int k = R->next < R->requests ? R->next++ : -1;
        pthread_mutex_unlock(&R->lock);
        if (k < 0) break;
        size_t which = (size_t)k % N_SENTENCES;
        snprintf(body, sizeof body, "{\"text\": \"%s\"}", sentences[which]);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        rep.len = 0;
        double t0 = now();
        long status = 0;
        if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        R->latency[k] = now() - t0;
        answer a = {0};
        a.text = status == 200 && rep.data ? normalize(rep.data, a.scores, MAX_SCORES, &a.n_scores) : NULL;
        pthread_mutex_lock(&R->lock);
        answer *ref = &R->answers[which];
        if (!a.text) R->failures++;
        else if (R->fill && !ref->text) *ref = a, a.text = NULL;
        else if (ref->text) {
            if (strcmp(ref->text, a.text) || ref->n_scores != a.n_scores) R->mismatches++;
            else
                for (int q = 0; q < a.n_scores; q++) {
                    double d = ref->scores[q] > a.scores[q] ? ref->scores[q] - a.scores[q] : a.scores[q] - ref->scores[q];
                    if (d > R->max_score_diff) R->max_score_diff = d;
                }
        }
        pthread_mutex_unlock(&R->lock);
        char *norm = a.text;
        free(norm);
    }
    free(rep.data);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return NULL;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1", *route = "/analyze", *clients_list = "1,16", *key = NULL;
    int port = 0, requests = 400, rounds = 2;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--host")) host = argv[i + 1];
        else if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--route")) route = argv[i + 1];
        else if (!strcmp(argv[i], "--clients")) clients_list = argv[i + 1];
        else if (!strcmp(argv[i], "--requests")) requests = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--rounds")) rounds = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--api-key")) key = argv[i + 1];
        else {
            fprintf(stderr, "serve_load: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (port <= 0 || requests < 1 || rounds < 1) {
        fprintf(stderr, "usage: serve_load --port N [--route /analyze] [--clients 1,16] [--requests 400] [--rounds 2]\n");
        return 2;
    }
    int levels[8], n_levels = 0;
    for (const char *p = clients_list; *p && n_levels < 8;) {
        levels[n_levels++] = atoi(p);
        p = strchr(p, ',');
        if (!p) break;
        p++;
    }
    char url[256], auth[300];
    snprintf(url, sizeof url, "http://%s:%d%s", host, port, route);
    if (key) snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    static answer answers[N_SENTENCES];
    double best_rps[8] = {0}, best_p50[8] = {0}, best_p99[8] = {0};
    int all_identical = 1, failed = 0;
    double max_diff = 0;
    printf("%-18s %7s %8s %9s %8s %8s %-9s %s\n", "route", "clients", "requests", "req/s", "p50_ms", "p99_ms", "identical",
           "max_score_diff");
    for (int round = 0; round < rounds; round++) {
        for (int l = 0; l < n_levels; l++) {
            run R = {url, key ? auth : NULL, levels[l], requests, calloc((size_t)requests, sizeof(double)), answers,
                     round == 0 && l == 0, 0, 0, 0, 0, PTHREAD_MUTEX_INITIALIZER};
            pthread_t *th = calloc((size_t)R.clients, sizeof *th);
            double t0 = now();
            for (int i = 0; i < R.clients; i++) pthread_create(&th[i], NULL, client, &R);
            for (int i = 0; i < R.clients; i++) pthread_join(th[i], NULL);
            double wall = now() - t0;
            qsort(R.latency, (size_t)requests, sizeof(double), cmp_double);
            double rps = requests / wall, p50 = R.latency[requests / 2] * 1000,
                   p99 = R.latency[(int)(requests * 0.99) < requests ? (int)(requests * 0.99) : requests - 1] * 1000;
            printf("%-18s %7d %8d %9.1f %8.1f %8.1f %-9s %.1e\n", route, R.clients, requests, rps, p50, p99,
                   R.failures ? "FAILED" : R.mismatches ? "NO" : "yes", R.max_score_diff);
            if (R.max_score_diff > max_diff) max_diff = R.max_score_diff;
            fflush(stdout);
            all_identical &= !R.mismatches;
            failed |= R.failures > 0;
            if (rps > best_rps[l]) best_rps[l] = rps, best_p50[l] = p50, best_p99[l] = p99;
            free(th);
            free(R.latency);
        }
    }
    printf("best of %d rounds:", rounds);
    for (int l = 0; l < n_levels; l++)
        printf(" %d clients %.1f req/s (p50 %.1f ms, p99 %.1f ms);", levels[l], best_rps[l], best_p50[l], best_p99[l]);
    if (n_levels > 1 && best_rps[0] > 0) printf(" ratio %.2fx", best_rps[n_levels - 1] / best_rps[0]);
    printf("; answers identical across runs (entities, labels, offsets): %s; scores within %.1e\n",
           all_identical && !failed ? "yes" : "NO", max_diff);
    for (size_t i = 0; i < N_SENTENCES; i++) free(answers[i].text);
    curl_global_cleanup();
    return all_identical && !failed && max_diff <= 1e-5 ? 0 : 1;
}
