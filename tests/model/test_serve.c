/* test_serve.c: the real `openmed serve` (API keys, the bundled PII model preloaded, offline) driven
 * over loopback with libcurl: every route, HEAD, request ids, the error envelope for every 4xx
 * (strict JSON: NUL, trailing data, duplicate keys, invalid UTF-8, ...; fields; auth; 404/405/413),
 * model_name and lang, batch and NDJSON forms, /models and unload, /metrics, /openapi.json and /docs;
 * sixteen concurrent clients get the answers one client gets (and are batched); no text, entity or
 * path in the log; SIGTERM lets an in-flight request finish, refuses new ones and exits 0. */
#include <pthread.h>
#include <sys/stat.h>

#include "serve_harness.h"

static server S;
static const char *const KEY[] = {"Authorization: Bearer test-key-2", NULL};

static long post(const char *path, const char *body, reply *r) { return http(&S, "POST", path, body, KEY, r); }

/* The answer as JSON (NULL and a failed check when it is not). */
static cJSON *json_of(const reply *r) {
    cJSON *j = cJSON_Parse(r->body);
    CHECK_MSG(j != NULL, "not JSON: %.200s", r->body);
    return j;
}

/* Two answers agree: the same entities (text/label/start/end, scores within 1e-5) and the same
 * de-identified text, whatever the timestamps. */
static int same_answer(const char *a, const char *b, const char *list) {
    cJSON *x = cJSON_Parse(a), *y = cJSON_Parse(b);
    const cJSON *ex = cJSON_GetObjectItem(x, list), *ey = cJSON_GetObjectItem(y, list);
    int same = x && y && cJSON_GetArraySize(ex) == cJSON_GetArraySize(ey);
    for (int i = 0; same && i < cJSON_GetArraySize(ex); i++) {
        const cJSON *p = cJSON_GetArrayItem(ex, i), *q = cJSON_GetArrayItem(ey, i);
        const char *fields[] = {"text", "label", "start", "end"};
        for (int f = 0; f < 4; f++) {
            const cJSON *fp = cJSON_GetObjectItem(p, fields[f]), *fq = cJSON_GetObjectItem(q, fields[f]);
            char *u = fp ? cJSON_PrintUnformatted(fp) : NULL, *v = fq ? cJSON_PrintUnformatted(fq) : NULL;
            same = same && ((!fp && !fq) || (u && v && !strcmp(u, v)));
            free(u);
            free(v);
        }
        double cp = cJSON_GetNumberValue(cJSON_GetObjectItem(p, "confidence"));
        double cq = cJSON_GetNumberValue(cJSON_GetObjectItem(q, "confidence"));
        same = same && fabs(cp - cq) <= 1e-5;
    }
    const char *dx = cJSON_GetStringValue(cJSON_GetObjectItem(x, "deidentified_text"));
    const char *dy = cJSON_GetStringValue(cJSON_GetObjectItem(y, "deidentified_text"));
    same = same && ((!dx && !dy) || (dx && dy && !strcmp(dx, dy)));
    cJSON_Delete(x);
    cJSON_Delete(y);
    return same;
}

static const char *const texts[] = {
    "The patient has cystic fibrosis.",
    "History of type 2 diabetes mellitus and hypertension.",
    "Call (617) 555-0142 or email john.smith@example.com.",
    "Family history is notable for Huntington disease.",
    "Patient Maria Lopez, MRN 00482913, seen today.",
    "Presented with acute myocardial infarction.",
    "Chronic kidney disease stage 3, SSN 123-45-6789.",
    "No evidence of pneumonia on the radiograph.",
};
enum { N_TEXTS = 8, N_CLIENTS = 16 };

static char *alone[2][N_TEXTS]; /* [analyze, deidentify] answers of one client */

typedef struct client {
    int id;
    char *got[2][N_TEXTS];
    long status[2][N_TEXTS];
} client;

static void *client_main(void *arg) {
    client *c = arg;
    for (int k = 0; k < 2 * N_TEXTS; k++) {
        int t = (k + c->id) % N_TEXTS, route = (k / N_TEXTS) ^ (c->id % 2);
        char body[256];
        snprintf(body, sizeof body, "{\"text\": \"%s\"}", texts[t]);
        reply r;
        c->status[route][t] = post(route ? "/pii/deidentify" : "/analyze", body, &r);
        c->got[route][t] = r.body;
        r.body = NULL;
        reply_free(&r);
    }
    return NULL;
}

/* A metric's value from /metrics text (-1 when absent). */
static double metric(const char *text, const char *name) {
    const char *p = strstr(text, name);
    while (p && p > text && p[-1] != '\n') p = strstr(p + 1, name);
    return p ? atof(p + strlen(name)) : -1;
}

typedef struct slow_request {
    const char *body;
    long status;
} slow_request;

static void *slow_main(void *arg) {
    slow_request *s = arg;
    reply r;
    s->status = post("/analyze", s->body, &r);
    reply_free(&r);
    return NULL;
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const char *args[] = {"--api-key", "test-key-1", "--api-key", "test-key-2", "--preload", "bundled/pii",
                          "--max-wait-ms", "20", "--max-body-bytes", "262144", "--max-texts", "8",
                          "--max-batch-bytes", "65536", NULL};
    const char *env[] = {"OPENMED_OFFLINE=1", "HF_HUB_OFFLINE=1", NULL};
    if (server_start(&S, "test_serve", args, env)) return check_finish("test_serve");
    reply r;

    /* ---- open routes, readiness after the preload, HEAD, request ids */
    double t0 = now_s();
    while (http(&S, "GET", "/readyz", NULL, NULL, &r) != 200 && now_s() - t0 < 60) {
        reply_free(&r);
        usleep(50000);
    }
    CHECK_INT(r.status, 200);
    CHECK(strstr(r.body, "\"ready\"") != NULL);
    reply_free(&r);
    CHECK_INT(http(&S, "GET", "/livez", NULL, NULL, &r), 200);
    CHECK(strstr(r.body, "\"ok\"") != NULL);
    reply_free(&r);
    CHECK_INT(http(&S, "GET", "/health", NULL, NULL, &r), 200);
    cJSON *j = json_of(&r);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "status")), "ok");
    CHECK(cJSON_GetStringValue(cJSON_GetObjectItem(j, "version")) != NULL);
    CHECK(!strstr(r.body, OM_SOURCE_DIR));
    cJSON_Delete(j);
    char header[256];
    CHECK(reply_header_value(&r, "X-Request-ID", header, sizeof header) && strlen(header) == 32);
    CHECK(reply_header_value(&r, "Cache-Control", header, sizeof header) && !strcmp(header, "no-store"));
    reply_free(&r);
    CHECK_INT(http(&S, "HEAD", "/health", NULL, NULL, &r), 200);
    CHECK(r.len == 0 && reply_header_value(&r, "Content-Length", header, sizeof header) && atoi(header) > 10);
    reply_free(&r);
    const char *rid[] = {"Authorization: Bearer test-key-1", "X-Request-ID: client-id.42", NULL};
    CHECK_INT(http(&S, "POST", "/analyze", "{\"text\": 5}", rid, &r), 422);
    CHECK(reply_header_value(&r, "X-Request-ID", header, sizeof header) && !strcmp(header, "client-id.42"));
    CHECK_ERROR(&r, 422, "validation_error", NULL);
    reply_free(&r);
    const char *bad_rid[] = {"X-Request-ID: <script>", NULL};
    CHECK_INT(http(&S, "GET", "/livez", NULL, bad_rid, &r), 200);
    CHECK(reply_header_value(&r, "X-Request-ID", header, sizeof header) && strlen(header) == 32);
    reply_free(&r);

    /* ---- /openapi.json lists every route, each answering (not 404); /docs is a page */
    CHECK_INT(http(&S, "GET", "/openapi.json", NULL, NULL, &r), 200);
    j = json_of(&r);
    const char *routes[] = {"/health", "/livez", "/readyz", "/models", "/models/loaded", "/models/unload", "/analyze",
                            "/analyze/batch", "/analyze/batch/stream", "/pii/extract", "/pii/extract/batch",
                            "/pii/deidentify", "/pii/deidentify/batch", "/metrics", "/openapi.json", "/docs"};
    /* the de-identification fields as the server takes them: methods, keep_year, the bundled policies */
    const char *schemas[] = {"PIIDeidentifyRequest", "PIIDeidentifyBatchRequest"};
    const char *deid_fields[] = {"method", "keep_year", "policy", "patient_key", "date_shift_days", "date_shift_seed",
                                 "date_shift_max_days", "deny_list", "allow_list", "keep_mapping",
                                 "protect_clinical_terms", "shift_dates", "use_safety_sweep", "confidence_threshold"};
    for (int s = 0; s < 2; s++) {
        const cJSON *props = cJSON_GetObjectItem(
            cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "components"), "schemas"), schemas[s]),
            "properties");
        for (size_t i = 0; i < sizeof deid_fields / sizeof deid_fields[0]; i++)
            CHECK_MSG(cJSON_GetObjectItem(props, deid_fields[i]) != NULL, "%s lacks %s", schemas[s], deid_fields[i]);
        CHECK(!cJSON_GetObjectItem(props, "secret"));
        char *method = cJSON_PrintUnformatted(cJSON_GetObjectItem(cJSON_GetObjectItem(props, "method"), "enum"));
        CHECK_MSG(method && !strcmp(method, "[\"mask\",\"remove\",\"replace\",\"hash\",\"shift_dates\",\"format_preserve\"]"),
                  "method enum %s", method ? method : "(none)");
        free(method);
        const cJSON *keep_year = cJSON_GetObjectItem(props, "keep_year");
        CHECK(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(keep_year, "type")), "boolean") &&
              !cJSON_GetObjectItem(keep_year, "enum"));
        char *policy = cJSON_PrintUnformatted(cJSON_GetObjectItem(cJSON_GetObjectItem(props, "policy"), "enum"));
        CHECK_MSG(policy && !strcmp(policy, "[\"hipaa_safe_harbor\",\"strict\",null]"), "policy enum %s",
                  policy ? policy : "(none)");
        free(policy);
    }
    const cJSON *paths = cJSON_GetObjectItem(j, "paths");
    CHECK_INT(cJSON_GetArraySize(paths), sizeof routes / sizeof routes[0]);
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const cJSON *p = cJSON_GetObjectItem(paths, routes[i]);
        CHECK_MSG(p != NULL, "%s is not in /openapi.json", routes[i]);
        reply q;
        long st = http(&S, cJSON_GetObjectItem(p, "post") ? "POST" : "GET", routes[i],
                       cJSON_GetObjectItem(p, "post") ? "{}" : NULL, KEY, &q);
        CHECK_MSG(st != 404 && st > 0, "%s answers %ld", routes[i], st);
        reply_free(&q);
    }
    cJSON_Delete(j);
    reply_free(&r);
    CHECK_INT(http(&S, "GET", "/docs", NULL, NULL, &r), 200);
    CHECK(reply_header_value(&r, "Content-Type", header, sizeof header) && strstr(header, "text/html"));
    CHECK(strstr(r.body, "/openapi.json") != NULL);
    reply_free(&r);

    /* ---- API keys: Bearer, constant answers, open routes stay open */
    CHECK_INT(http(&S, "POST", "/analyze", "{\"text\": \"secret-note-42\"}", NULL, &r), 401);
    CHECK_ERROR(&r, 401, "authentication_required", "secret-note-42");
    CHECK(reply_header_value(&r, "WWW-Authenticate", header, sizeof header) && strstr(header, "Bearer"));
    reply_free(&r);
    const char *wrong[] = {"Authorization: Bearer test-key-3", NULL};
    CHECK_INT(http(&S, "POST", "/analyze", "{\"text\": \"secret-note-42\"}", wrong, &r), 401);
    CHECK_ERROR(&r, 401, "invalid_credentials", "secret-note-42");
    reply_free(&r);
    CHECK_INT(http(&S, "GET", "/metrics", NULL, NULL, &r), 401);
    reply_free(&r);
    CHECK_INT(http(&S, "GET", "/models/loaded", NULL, wrong, &r), 401);
    reply_free(&r);

    /* ---- /analyze: the bundled disease model, named by its registry-style name, never a path */
    CHECK_INT(post("/analyze", "{\"text\": \"The patient has cystic fibrosis.\"}", &r), 200);
    j = json_of(&r);
    int disease = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "entities")) {
        const char *label = cJSON_GetStringValue(cJSON_GetObjectItem(e, "label"));
        const char *text = cJSON_GetStringValue(cJSON_GetObjectItem(e, "text"));
        disease |= label && text && !strcmp(label, "DISEASE") && strstr(text, "fibrosis") != NULL;
    }
    CHECK_MSG(disease, "no DISEASE entity for fibrosis: %.400s", r.body);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "model_name")), "bundled/disease-ner");
    CHECK(!strstr(r.body, OM_SOURCE_DIR));
    cJSON_Delete(j);
    reply_free(&r);
    CHECK_INT(post("/analyze", "{\"text\": \"The patient has cystic fibrosis.\", \"confidence_threshold\": 1.0, "
                               "\"aggregation_strategy\": \"first\", \"model_name\": \"bundled/disease-ner\"}", &r), 200);
    j = json_of(&r);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "entities")), 0);
    cJSON_Delete(j);
    reply_free(&r);
    /* group_entities and sentence_detection reach analyze_text, as `openmed analyze` has them */
    for (int g = 0; g < 2; g++) {
        char body[256];
        snprintf(body, sizeof body, "{\"text\": \"She reports fevers, chills, dizziness, nausea, vomiting.\", "
                                    "\"group_entities\": %s, \"sentence_detection\": %s}",
                 g ? "true" : "false", g ? "true" : "false");
        CHECK_INT(post("/analyze", body, &r), 200);
        j = json_of(&r);
        CHECK_MSG(cJSON_GetArraySize(cJSON_GetObjectItem(j, "entities")) == (g ? 1 : 5), "%.400s", r.body);
        const cJSON *sd = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "metadata"), "sentence_detection");
        CHECK_MSG(g ? cJSON_IsTrue(sd) : cJSON_IsFalse(sd), "%.400s", r.body);
        cJSON_Delete(j);
        reply_free(&r);
    }

    /* ---- PII routes: masked values gone from the whole answer; extract; mapping on request */
    CHECK_INT(post("/pii/deidentify", "{\"text\": \"Call (617) 555-0142 or email john.smith@example.com. SSN "
                                      "123-45-6789.\", \"method\": \"mask\"}", &r), 200);
    j = json_of(&r);
    const char *deid = cJSON_GetStringValue(cJSON_GetObjectItem(j, "deidentified_text"));
    CHECK(deid && strstr(deid, "Call [") == deid);
    CHECK(!strstr(r.body, "555-0142") && !strstr(r.body, "john.smith") && !strstr(r.body, "123-45-6789"));
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "metadata"), "model")), "bundled/pii");
    cJSON_Delete(j);
    reply_free(&r);
    CHECK_INT(post("/pii/deidentify", "{\"text\": \"SSN 123-45-6789.\", \"keep_mapping\": true, \"shift_dates\": "
                                      "false}", &r), 200);
    CHECK(strstr(r.body, "\"mapping\"") && strstr(r.body, "123-45-6789"));
    reply_free(&r);
    CHECK_INT(post("/pii/extract", "{\"text\": \"email john.smith@example.com today\", \"lang\": \"en\"}", &r), 200);
    CHECK(strstr(r.body, "EMAIL") != NULL);
    reply_free(&r);

    /* ---- strict JSON: every malformed body is a 400 envelope that repeats nothing */
    static const struct {
        const char *body;
        size_t len;
        const char *code;
    } bad[] = {
        {"{\"text\": \"secret-note-42\"", 0, "invalid_json"},
        {"{\"text\": \"secret-note-42\"} trailing", 0, "invalid_json"},
        {"{\"text\": \"secret-note-42\"}{}", 0, "invalid_json"},
        {"{\"text\": \"secret-note-42\", \"text\": \"other\"}", 0, "duplicate_key"},
        {"{\"text\": \"secret-note-42\", \"te\\u0078t\": \"other\"}", 0, "duplicate_key"},
        {"{\"text\": \"secret\\u0000note-42\"}", 0, "invalid_encoding"},
        {"{\"text\": \"secret\0note-42\"}", 26, "invalid_encoding"},
        {"{\"text\": \"secret-\xff-note-42\"}", 0, "invalid_encoding"},
        {"{\"text\": \"secret-\xc0\xaf-note-42\"}", 0, "invalid_encoding"},
        {"{\"text\": \"secret-\xed\xa0\x80-note-42\"}", 0, "invalid_encoding"},
        {"{\"text\": \"secret-\\ud800-note-42\"}", 0, "invalid_encoding"},
        {"{\"text\": \"secret-\tnote-42\"}", 0, "invalid_json"},
        {"{\"text\": \"secret-note-42\", \"confidence_threshold\": 01}", 0, "invalid_json"},
        {"{\"text\": \"secret-note-42\", \"confidence_threshold\": NaN}", 0, "invalid_json"},
        {"\xef\xbb\xbf{\"text\": \"secret-note-42\"}", 0, "invalid_json"},
        {"", 0, "invalid_json"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        long len = bad[i].len ? (long)bad[i].len : (long)strlen(bad[i].body);
        CHECK_MSG(http_ex(&S, "POST", i % 2 ? "/pii/deidentify" : "/analyze", bad[i].body, len, KEY, 0, &r) == 400,
                  "bad body %zu: %ld", i, r.status);
        CHECK_ERROR(&r, 400, bad[i].code, "secret");
        reply_free(&r);
    }
    char deep[300];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    deep[200] = '\0';
    CHECK_INT(post("/analyze", deep, &r), 400);
    reply_free(&r);
    /* escaped but valid text is fine: a surrogate pair, an escaped quote */
    CHECK_INT(post("/analyze", "{\"text\": \"cystic fibrosis \\ud83d\\ude00 \\\"quoted\\\"\"}", &r), 200);
    reply_free(&r);

    /* ---- fields: 422 with OpenMed's validation details, naming the field, never the text */
    static const struct {
        const char *path, *body, *field;
    } invalid[] = {
        {"/analyze", "{\"txt\": \"secret-note-42\"}", "body.text"},
        {"/analyze", "{\"text\": \"   \"}", "body.text"},
        {"/analyze", "[\"secret-note-42\"]", "body"},
        {"/analyze", "{\"text\": \"secret-note-42\", \"colour\": 1}", "body.colour"},
        {"/analyze", "{\"text\": \"secret-note-42\", \"Secret Note\": 1}", "body.(a field name)"},
        {"/analyze", "{\"text\": \"secret-note-42\", \"confidence_threshold\": 1.5}", "body.confidence_threshold"},
        {"/analyze", "{\"text\": \"secret-note-42\", \"aggregation_strategy\": \"most\"}", "body.aggregation_strategy"},
        {"/analyze", "{\"text\": \"secret-note-42\", \"group_entities\": 1}", "body.group_entities"},
        {"/analyze", "{\"text\": \"secret-note-42\", \"sentence_detection\": \"no\"}", "body.sentence_detection"},
        {"/analyze", "{\"text\": \"secret-note-42\", \"model_name\": \"../etc/passwd\"}", "body.model_name"},
        {"/pii/deidentify", "{\"text\": \"secret-note-42\", \"method\": \"blur\"}", "body.method"},
        {"/pii/deidentify", "{\"text\": \"secret-note-42\", \"keep_year\": 1}", "body.keep_year"},
        {"/pii/deidentify", "{\"text\": \"secret-note-42\", \"policy\": \"/etc/openmed/strict.json\"}", "body.policy"},
        {"/pii/deidentify", "{\"text\": \"secret-note-42\", \"secret\": \"client-key\"}", "body.secret"},
        {"/pii/deidentify", "{\"text\": \"secret-note-42\", \"date_shift_days\": 30}", "body.date_shift_days"},
        {"/pii/deidentify", "{\"text\": \"secret-note-42\", \"policy\": \"hipaa\"}", "body.policy"},
        {"/pii/extract", "{\"text\": \"secret-note-42\", \"lang\": \"xx\"}", "body.lang"},
        {"/pii/extract", "{\"text\": \"secret-note-42\", \"lang\": \"gu\"}", "body.lang"},
        {"/pii/extract", "{\"text\": \"secret-note-42\", \"method\": \"mask\"}", "body.method"},
        {"/analyze/batch", "{\"texts\": []}", "body.texts"},
        {"/analyze/batch", "{\"texts\": [\"a\", 7]}", "body.texts.1"},
        {"/analyze/batch", "{\"texts\": [\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]}", "body.texts"},
        {"/analyze/batch", "{\"text\": \"secret-note-42\"}", "body.texts"},
        {"/models/unload", "{}", "body.model_name"},
    };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        CHECK_MSG(post(invalid[i].path, invalid[i].body, &r) == 422, "invalid %zu: %ld %.200s", i, r.status, r.body);
        CHECK_ERROR(&r, 422, "validation_error", "secret-note-42");
        j = cJSON_Parse(r.body);
        const cJSON *d = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "error"), "details"), 0);
        CHECK_MSG(d && !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(d, "field")) ? cJSON_GetStringValue(cJSON_GetObjectItem(d, "field")) : "", invalid[i].field),
                  "invalid %zu: want field %s in %.300s", i, invalid[i].field, r.body);
        cJSON_Delete(j);
        reply_free(&r);
    }

    /* ---- routes and methods: 404, 405 with Allow, 413 before the body is read */
    CHECK_INT(http(&S, "GET", "/no/such/route", NULL, KEY, &r), 404);
    CHECK_ERROR(&r, 404, "not_found", NULL);
    reply_free(&r);
    CHECK_INT(http(&S, "GET", "/analyze", NULL, KEY, &r), 405);
    CHECK_ERROR(&r, 405, "method_not_allowed", NULL);
    CHECK(reply_header_value(&r, "Allow", header, sizeof header) && !strcmp(header, "POST"));
    reply_free(&r);
    CHECK_INT(http(&S, "POST", "/health", "{}", KEY, &r), 405);
    CHECK(reply_header_value(&r, "Allow", header, sizeof header) && strstr(header, "GET") && strstr(header, "HEAD"));
    reply_free(&r);
    char *big = long_body(300000);
    CHECK_INT(post("/analyze", big, &r), 413);
    CHECK_ERROR(&r, 413, "payload_too_large", "cystic");
    reply_free(&r);
    free(big);

    /* ---- model_name and lang are honoured: names resolve through the registry (offline here, so
     * loading fails with the model's name, not a path); a folder of the server is not a name */
    CHECK_INT(post("/analyze", "{\"text\": \"fibrosis\", \"model_name\": \"disease_detection_tiny\"}", &r), 503);
    CHECK_ERROR(&r, 503, "model_load_error", NULL);
    CHECK(strstr(r.body, "OpenMed/OpenMed-NER-DiseaseDetect-TinyMed-135M") && !strstr(r.body, "/.cache"));
    reply_free(&r);
    CHECK_INT(post("/pii/extract", "{\"text\": \"Herr Schmidt\", \"lang\": \"de\"}", &r), 503);
    CHECK_MSG(strstr(r.body, "OpenMed/OpenMed-PII-German-SuperClinical-Small-44M-v1") != NULL, "%s", r.body);
    reply_free(&r);
    mkdir("serve_test_folder", 0755);
    CHECK_INT(post("/analyze", "{\"text\": \"fibrosis\", \"model_name\": \"serve_test_folder\"}", &r), 400);
    CHECK_ERROR(&r, 400, "bad_request", NULL);
    reply_free(&r);
    rmdir("serve_test_folder");

    /* ---- batch forms and the NDJSON stream give the single answers */
    CHECK_INT(post("/analyze/batch", "{\"texts\": [\"The patient has cystic fibrosis.\", \"No disease.\", "
                                     "\"History of type 2 diabetes mellitus and hypertension.\"]}", &r), 200);
    j = json_of(&r);
    CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "count")), 3);
    const cJSON *results = cJSON_GetObjectItem(j, "results");
    CHECK_INT(cJSON_GetArraySize(results), 3);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(results, 1), "text")), "No disease.");
    char *batch_first = cJSON_PrintUnformatted(cJSON_GetArrayItem(results, 0));
    cJSON_Delete(j);
    reply_free(&r);
    CHECK_INT(post("/analyze", "{\"text\": \"The patient has cystic fibrosis.\"}", &r), 200);
    CHECK(batch_first && same_answer(batch_first, r.body, "entities"));
    reply_free(&r);
    CHECK_INT(post("/analyze/batch/stream", "{\"texts\": [\"The patient has cystic fibrosis.\", \"No disease.\", "
                                            "\"History of type 2 diabetes mellitus and hypertension.\"]}", &r), 200);
    CHECK(reply_header_value(&r, "Content-Type", header, sizeof header) && !strcmp(header, "application/x-ndjson"));
    int seen = 0, lines = 0;
    for (char *line = r.body, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        cJSON *l = cJSON_Parse(line);
        CHECK_MSG(l != NULL, "stream line is not JSON: %.200s", line);
        int index = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(l, "index"));
        if (index == 0 && cJSON_GetObjectItem(l, "result")) {
            char *first = cJSON_PrintUnformatted(cJSON_GetObjectItem(l, "result"));
            CHECK(first && batch_first && same_answer(first, batch_first, "entities"));
            free(first);
        }
        if (index >= 0 && index < 3 && cJSON_GetObjectItem(l, "result")) seen |= 1 << index;
        lines++;
        cJSON_Delete(l);
    }
    CHECK_INT(lines, 3);
    CHECK_INT(seen, 7);
    free(batch_first);
    reply_free(&r);
    CHECK_INT(post("/pii/deidentify/batch", "{\"texts\": [\"Call (617) 555-0142.\", \"SSN 123-45-6789.\"], "
                                            "\"method\": \"hash\"}", &r), 200);
    CHECK(!strstr(r.body, "555-0142") && !strstr(r.body, "123-45-6789") && strstr(r.body, "\"count\": 2"));
    reply_free(&r);
    CHECK_INT(post("/pii/extract/batch", "{\"texts\": [\"email john.smith@example.com\"]}", &r), 200);
    CHECK(strstr(r.body, "EMAIL") != NULL);
    reply_free(&r);

    /* ---- sixteen clients at once get exactly what one client gets, and share batches */
    for (int route = 0; route < 2; route++)
        for (int t = 0; t < N_TEXTS; t++) {
            char body[256];
            snprintf(body, sizeof body, "{\"text\": \"%s\"}", texts[t]);
            CHECK_INT(post(route ? "/pii/deidentify" : "/analyze", body, &r), 200);
            alone[route][t] = r.body;
            r.body = NULL;
            reply_free(&r);
        }
    CHECK_INT(http(&S, "GET", "/metrics", NULL, KEY, &r), 200);
    double batches_before = metric(r.body, "openmed_service_batch_size_count");
    reply_free(&r);
    static client clients[N_CLIENTS];
    pthread_t th[N_CLIENTS];
    for (int i = 0; i < N_CLIENTS; i++) {
        clients[i].id = i;
        pthread_create(&th[i], NULL, client_main, &clients[i]);
    }
    for (int i = 0; i < N_CLIENTS; i++) pthread_join(th[i], NULL);
    int differ = 0;
    for (int i = 0; i < N_CLIENTS; i++)
        for (int route = 0; route < 2; route++)
            for (int t = 0; t < N_TEXTS; t++) {
                CHECK_INT(clients[i].status[route][t], 200);
                int same = alone[route][t] && clients[i].got[route][t] &&
                           same_answer(alone[route][t], clients[i].got[route][t], route ? "pii_entities" : "entities");
                if (!same && !differ++)
                    fprintf(stderr, "alone: %s\nconcurrent: %s\n", alone[route][t] ? alone[route][t] : "(none)",
                            clients[i].got[route][t] ? clients[i].got[route][t] : "(none)");
                free(clients[i].got[route][t]);
            }
    CHECK_MSG(differ == 0, "%d of %d concurrent answers differ from the lone client's", differ, N_CLIENTS * 2 * N_TEXTS);
    CHECK_INT(http(&S, "GET", "/metrics", NULL, KEY, &r), 200);
    double batches = metric(r.body, "openmed_service_batch_size_count") - batches_before;
    CHECK_MSG(batches > 0 && batches < N_CLIENTS * 2 * N_TEXTS, "%g batches for %d texts: none was shared", batches,
              N_CLIENTS * 2 * N_TEXTS);
    printf("%d concurrent texts ran in %g batches\n", N_CLIENTS * 2 * N_TEXTS, batches);
    CHECK(reply_header_value(&r, "Content-Type", header, sizeof header) && strstr(header, "text/plain"));
    CHECK(strstr(r.body, "openmed_service_request_total{route=\"/analyze\",status=\"200\"}") != NULL);
    CHECK(strstr(r.body, "openmed_service_request_total{route=\"/analyze\",status=\"401\"}") != NULL);
    CHECK(strstr(r.body, "openmed_service_request_duration_seconds_bucket{route=\"/pii/deidentify\",le=\"+Inf\"}"));
    CHECK(metric(r.body, "openmed_service_batch_queue_depth") == 0);
    CHECK(metric(r.body, "openmed_service_rejected_total{reason=\"auth\"}") >= 3);
    reply_free(&r);
    for (int route = 0; route < 2; route++)
        for (int t = 0; t < N_TEXTS; t++) free(alone[route][t]);

    /* ---- /models, /models/loaded and unload */
    CHECK_INT(http(&S, "GET", "/models/loaded", NULL, KEY, &r), 200);
    j = json_of(&r);
    CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "models"), "bundled/disease-ner") != NULL);
    CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "models"), "bundled/pii") != NULL);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "warm_models"), 0)), "bundled/pii");
    CHECK(!strstr(r.body, OM_SOURCE_DIR));
    cJSON_Delete(j);
    reply_free(&r);
    CHECK_INT(http(&S, "GET", "/models?family=PII&language=de", NULL, KEY, &r), 200);
    j = json_of(&r);
    int n_pii_de = cJSON_GetArraySize(cJSON_GetObjectItem(j, "registry"));
    CHECK(n_pii_de > 10 && strstr(r.body, "OpenMed-PII-German-SuperClinical-Small-44M-v1") && !strstr(r.body, "NER-"));
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "default_models"), "pii")), "bundled/pii");
    cJSON_Delete(j);
    reply_free(&r);
    CHECK_INT(post("/models/unload", "{\"model_name\": \"bundled/disease-ner\"}", &r), 200);
    CHECK(strstr(r.body, "\"unloaded\": [\"bundled/disease-ner\"]") != NULL);
    reply_free(&r);
    CHECK_INT(http(&S, "GET", "/models/loaded", NULL, KEY, &r), 200);
    CHECK(!strstr(r.body, "bundled/disease-ner\": {"));
    reply_free(&r);
    CHECK_INT(post("/analyze", "{\"text\": \"The patient has cystic fibrosis.\"}", &r), 200); /* loads again */
    reply_free(&r);
    CHECK_INT(post("/models/unload", "{\"all\": true}", &r), 200);
    CHECK(strstr(r.body, "bundled/pii") && strstr(r.body, "bundled/disease-ner"));
    reply_free(&r);

    /* ---- SIGTERM: the request in flight finishes, a new one is refused, exit 0 */
    char *slow_body = long_body(80000);
    slow_request slow = {slow_body, 0};
    pthread_t slow_th;
    pthread_create(&slow_th, NULL, slow_main, &slow);
    t0 = now_s();
    int in_flight = 0;
    while (!in_flight && now_s() - t0 < 30) { /* the slow text has reached the model */
        usleep(20000);
        reply m;
        if (http(&S, "GET", "/models/loaded", NULL, KEY, &m) == 200) in_flight = strstr(m.body, "\"active_requests\": 1") != NULL;
        reply_free(&m);
    }
    CHECK(in_flight);
    /* the model is shared, not locked: a short text for it runs on the other worker's pipeline while
     * the long one is still running */
    CHECK_INT(post("/analyze", "{\"text\": \"The patient has cystic fibrosis.\"}", &r), 200);
    reply_free(&r);
    CHECK_INT(http(&S, "GET", "/models/loaded", NULL, KEY, &r), 200);
    j = json_of(&r);
    const cJSON *dm = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "models"), "bundled/disease-ner");
    /* the long text (over --max-batch-bytes, so never in the short one's batch) still holds the model */
    CHECK_MSG(cJSON_GetNumberValue(cJSON_GetObjectItem(dm, "active_requests")) == 1,
              "the short request waited for the long one on the same model: %s", r.body);
    cJSON_Delete(j);
    reply_free(&r);
    int pipelines = 0; /* one per worker over the one model (the long text's may still be being made) */
    for (t0 = now_s(); pipelines != 2 && now_s() - t0 < 10; usleep(20000)) {
        CHECK_INT(http(&S, "GET", "/models/loaded", NULL, KEY, &r), 200);
        j = json_of(&r);
        dm = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "models"), "bundled/disease-ner");
        pipelines = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(dm, "pipelines"));
        cJSON_Delete(j);
        reply_free(&r);
    }
    CHECK_INT(pipelines, 2);
    kill(S.pid, SIGTERM);
    usleep(100000);
    long refused = post("/analyze", "{\"text\": \"secret-note-42 after SIGTERM\"}", &r);
    CHECK_MSG(refused == 503 || refused == -1, "a request after SIGTERM got %ld", refused);
    if (refused == 503) {
        CHECK_ERROR(&r, 503, "shutting_down", "secret-note-42");
        CHECK(reply_header_value(&r, "Retry-After", header, sizeof header) && atoi(header) >= 1);
    }
    reply_free(&r);
    pthread_join(slow_th, NULL);
    CHECK_MSG(slow.status == 200, "the request in flight at SIGTERM got %ld", slow.status);
    free(slow_body);
    CHECK_INT(server_stop(&S, 0), 0);

    /* ---- the log: one line per request, and never text, entities or paths */
    char *log = read_file(S.log);
    const char *secrets[] = {"secret-note", "555-0142", "john.smith", "123-45-6789", "fibrosis", "Maria", OM_SOURCE_DIR};
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
        CHECK_MSG(!strstr(log, secrets[i]), "the log holds '%s'", secrets[i]);
    CHECK(strstr(log, "POST /analyze 200") && strstr(log, "draining") && strstr(log, "stopped"));
    free(log);
    curl_global_cleanup();
    return check_finish("test_serve");
}
