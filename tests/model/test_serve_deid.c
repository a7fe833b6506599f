/* test_serve_deid.c: every de-identification option of `openmed pii deidentify` through the real
 * `openmed serve` over loopback (/pii/deidentify and its batch form): keep_year, the bundled
 * policies (a path is refused), patient_key, date_shift_days / _seed / _max_days, deny and allow
 * lists, keep_mapping, format_preserve, protect_clinical_terms. The key is the server's: from
 * --secret-file, $OPENMED_DEID_SECRET or the config file the same key gives the same output on
 * every request and every server; a request carrying a key is refused; with none the server warns at
 * start-up, keeps one random key for its run and refuses patient_key. */
#include <stdarg.h>

#include "serve_harness.h"

static const char *const NOTE = "Seen on 03/14/2021 at Kestrel. Call (617) 555-0142 or email john.smith@example.com.";
static const char *const KEY_VALUE = "serve-deid-test-key";

/* POST /pii/deidentify with a body built from fmt; the parsed answer (NULL unless 200 JSON). */
static cJSON *deid(const server *s, long want, reply *r, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static cJSON *deid(const server *s, long want, reply *r, const char *fmt, ...) {
    char body[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    long st = http(s, "POST", "/pii/deidentify", body, NULL, r);
    CHECK_MSG(st == want, "%s: status %ld, want %ld: %.300s", body, st, want, r->body ? r->body : "");
    return st == 200 ? cJSON_Parse(r->body) : NULL;
}

static const char *text_of(const cJSON *j) { return cJSON_GetStringValue(cJSON_GetObjectItem(j, "deidentified_text")); }

static const cJSON *meta(const cJSON *j, const char *key) {
    return cJSON_GetObjectItem(cJSON_GetObjectItem(j, "metadata"), key);
}

/* The de-identified text of NOTE with a method (malloc'd, "" on failure). */
static char *deid_text(const server *s, const char *extra) {
    reply r;
    cJSON *j = deid(s, 200, &r, "{\"text\": \"%s\", %s}", NOTE, extra);
    char *out = strdup(text_of(j) ? text_of(j) : "");
    cJSON_Delete(j);
    reply_free(&r);
    return out;
}

/* metadata.date_shift_days of a shift_dates answer (0 on failure). */
static int shift_of(const server *s, const char *text, const char *extra) {
    reply r;
    cJSON *j = deid(s, 200, &r, "{\"text\": \"%s\", \"method\": \"shift_dates\", %s}", text, extra);
    int days = (int)cJSON_GetNumberValue(meta(j, "date_shift_days"));
    CHECK_MSG(j && days != 0, "no date shift in %.300s", r.body);
    cJSON_Delete(j);
    reply_free(&r);
    return days;
}

/* The 422 of a body names this field. */
static void refused(const server *s, const char *body, const char *field) {
    reply r;
    CHECK_MSG(http(s, "POST", "/pii/deidentify", body, NULL, &r) == 422, "%s: %ld %.300s", body, r.status, r.body);
    CHECK_ERROR(&r, 422, "validation_error", "Kestrel");
    cJSON *j = cJSON_Parse(r.body);
    const cJSON *d = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "error"), "details"), 0);
    const char *got = cJSON_GetStringValue(cJSON_GetObjectItem(d, "field"));
    CHECK_MSG(got && !strcmp(got, field), "%s: want field %s: %.300s", body, field, r.body);
    cJSON_Delete(j);
    reply_free(&r);
}

static int start(server *s, const char *name, const char *const *args, const char *const *env) {
    if (server_start(s, name, args, env)) return -1;
    reply r;
    double t0 = now_s();
    while (http(s, "GET", "/readyz", NULL, NULL, &r) != 200 && now_s() - t0 < 60) {
        reply_free(&r);
        usleep(50000);
    }
    reply_free(&r);
    return 0;
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    FILE *f;
    char key_file[512], config_file[512], empty_config[512];
    snprintf(key_file, sizeof key_file, "%s/test_serve_deid.key", OM_BINARY_DIR);
    snprintf(config_file, sizeof config_file, "%s/test_serve_deid.toml", OM_BINARY_DIR);
    snprintf(empty_config, sizeof empty_config, "%s/test_serve_deid_empty.toml", OM_BINARY_DIR);
    f = fopen(empty_config, "w");
    fclose(f);
    f = fopen(key_file, "w");
    fprintf(f, "%s\n", KEY_VALUE); /* the trailing line break is not part of the key */
    fclose(f);
    f = fopen(config_file, "w");
    fprintf(f, "deid_secret_file = \"%s\"\n", key_file);
    fclose(f);

    /* K: the key from --secret-file (which wins over the environment) */
    server K, E, C, N;
    const char *k_args[] = {"--secret-file", key_file, "--preload", "bundled/pii", NULL};
    const char *k_env[] = {"OPENMED_OFFLINE=1", "OPENMED_DEID_SECRET=another-key", NULL};
    if (start(&K, "test_serve_deid_file", k_args, k_env)) return check_finish("test_serve_deid");
    reply r;
    cJSON *j;

    /* ---- hash: the same value gets the same digest on every request; metadata says the key was given */
    char *hash1 = deid_text(&K, "\"method\": \"hash\"");
    char *hash2 = deid_text(&K, "\"method\": \"hash\"");
    CHECK_MSG(hash1[0] && !strcmp(hash1, hash2), "two requests, two digests: %s | %s", hash1, hash2);
    CHECK(!strstr(hash1, "555-0142") && !strstr(hash1, "john.smith") && strstr(hash1, "EMAIL_"));
    j = deid(&K, 200, &r, "{\"text\": \"%s\", \"method\": \"hash\"}", NOTE);
    CHECK_STR(cJSON_GetStringValue(meta(j, "key")), "given");
    cJSON_Delete(j);
    reply_free(&r);
    /* the batch form gives each text what the single route gives it */
    CHECK_INT(http(&K, "POST", "/pii/deidentify/batch",
                   "{\"texts\": [\"Seen on 03/14/2021 at Kestrel. Call (617) 555-0142 or email john.smith@example.com.\", "
                   "\"No identifiers here.\"], \"method\": \"hash\"}", NULL, &r), 200);
    j = cJSON_Parse(r.body);
    CHECK_STR(text_of(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "results"), 0)), hash1);
    cJSON_Delete(j);
    reply_free(&r);

    /* ---- a request never carries the key */
    refused(&K, "{\"text\": \"Kestrel\", \"method\": \"hash\", \"secret\": \"mine\"}", "body.secret");
    refused(&K, "{\"text\": \"Kestrel\", \"method\": \"shift_dates\", \"date_shift_secret\": \"mine\"}",
            "body.date_shift_secret");

    /* ---- keep_year: replaced dates keep their year; without it the date is replaced whole */
    char *kept = deid_text(&K, "\"method\": \"replace\", \"keep_year\": true");
    CHECK_MSG(strstr(kept, "2021") && !strstr(kept, "03/14/2021") && !strstr(kept, "555-0142"), "%s", kept);
    char *fp = deid_text(&K, "\"method\": \"format_preserve\", \"keep_year\": true");
    CHECK_MSG(strstr(fp, "2021") && !strstr(fp, "03/14/2021"), "%s", fp);
    free(fp);
    free(kept);

    /* ---- format_preserve: a phone keeps its shape with other digits */
    fp = deid_text(&K, "\"method\": \"format_preserve\"");
    const char *call = strstr(fp, "Call (");
    CHECK_MSG(call && call[9] == ')' && call[10] == ' ' && call[14] == '-' && !strstr(fp, "555-0142"), "%s", fp);
    free(fp);

    /* ---- policies: the bundled names; never a file */
    j = deid(&K, 200, &r, "{\"text\": \"Enrolled on 03/14/2021, age 93.\", \"policy\": \"hipaa_safe_harbor\"}");
    CHECK_STR(cJSON_GetStringValue(meta(j, "policy")), "hipaa_safe_harbor");
    CHECK_MSG(text_of(j) && strstr(text_of(j), "90+") && !strstr(text_of(j), "93"), "%s", r.body);
    cJSON_Delete(j);
    reply_free(&r);
    j = deid(&K, 200, &r, "{\"text\": \"Enrolled on 03/14/2021, age 93.\", \"policy\": \"strict\"}");
    CHECK_STR(cJSON_GetStringValue(meta(j, "policy")), "strict");
    CHECK(text_of(j) && !strstr(text_of(j), "93") && !strstr(text_of(j), "2021"));
    cJSON_Delete(j);
    reply_free(&r);
    char policy_path[1100];
    snprintf(policy_path, sizeof policy_path, "{\"text\": \"Kestrel\", \"policy\": \"%s/data/policies/strict.json\"}",
             OM_SOURCE_DIR);
    refused(&K, policy_path, "body.policy");
    refused(&K, "{\"text\": \"Kestrel\", \"policy\": \"../strict\"}", "body.policy");
    refused(&K, "{\"text\": \"Kestrel\", \"policy\": \"strict.json\"}", "body.policy");

    /* ---- date shifts: a number of days, a seed, a patient key (bounded by date_shift_max_days) */
    j = deid(&K, 200, &r, "{\"text\": \"Seen on 03/14/2021.\", \"method\": \"shift_dates\", \"date_shift_days\": 30}");
    CHECK_MSG(text_of(j) && strstr(text_of(j), "04/13/2021"), "%s", r.body);
    CHECK_INT(cJSON_GetNumberValue(meta(j, "date_shift_days")), 30);
    cJSON_Delete(j);
    reply_free(&r);
    int p1 = shift_of(&K, "Seen on 03/14/2021.", "\"patient_key\": \"patient-7\", \"date_shift_max_days\": 10");
    int p2 = shift_of(&K, "Admitted 2020-01-02, discharged 2020-01-09.",
                      "\"patient_key\": \"patient-7\", \"date_shift_max_days\": 10");
    CHECK_MSG(p1 == p2 && p1 >= -10 && p1 <= 10, "patient-7 shifted by %d and %d days", p1, p2);
    int s1 = shift_of(&K, "Seen on 03/14/2021.", "\"date_shift_seed\": \"cohort-3\"");
    int s2 = shift_of(&K, "Seen on 05/01/2019.", "\"date_shift_seed\": \"cohort-3\"");
    CHECK_MSG(s1 == s2 && s1 >= -365 && s1 <= 365, "seed cohort-3 shifted by %d and %d days", s1, s2);
    refused(&K, "{\"text\": \"Kestrel\", \"patient_key\": \"patient-7\"}", "body.patient_key");
    refused(&K, "{\"text\": \"Kestrel\", \"method\": \"shift_dates\", \"patient_key\": \"p\", \"date_shift_days\": 3}",
            "body.patient_key");
    refused(&K, "{\"text\": \"Kestrel\", \"method\": \"shift_dates\", \"date_shift_max_days\": 40000}",
            "body.date_shift_max_days");

    /* ---- deny and allow lists */
    char *plain = deid_text(&K, "\"method\": \"mask\"");
    char *denied = deid_text(&K, "\"deny_list\": [\"john.smith@example.com\", \"Seen\"]");
    CHECK_MSG(strstr(plain, "Seen on") && !strstr(denied, "Seen on") && strstr(denied, "[CUSTOM]"), "%s | %s", plain,
              denied);
    char *allowed = deid_text(&K, "\"allow_list\": [\"john.smith@example.com\"]");
    CHECK_MSG(!strstr(plain, "john.smith") && strstr(allowed, "john.smith@example.com") && !strstr(allowed, "555-0142"),
              "%s | %s", plain, allowed);
    free(plain);
    free(denied);
    free(allowed);
    refused(&K, "{\"text\": \"Kestrel\", \"deny_list\": [\"\"]}", "body.deny_list.0");

    /* ---- keep_mapping and protect_clinical_terms */
    j = deid(&K, 200, &r, "{\"text\": \"%s\", \"keep_mapping\": true, \"protect_clinical_terms\": false}", NOTE);
    const cJSON *mapping = cJSON_GetObjectItem(j, "mapping");
    CHECK_MSG(cJSON_IsObject(mapping) && strstr(r.body, "john.smith@example.com") &&
                  cJSON_GetStringValue(cJSON_GetObjectItem(j, "original_text")),
              "%.300s", r.body);
    cJSON_Delete(j);
    reply_free(&r);
    int k_shift = shift_of(&K, "Seen on 03/14/2021.", "\"patient_key\": \"patient-9\"");

    /* ---- E: the key from $OPENMED_DEID_SECRET; C: from the config file: the same outputs as K */
    const char *e_args[] = {"--preload", "bundled/pii", "--quiet", NULL};
    const char *e_env[] = {"OPENMED_OFFLINE=1", "OPENMED_DEID_SECRET=serve-deid-test-key", NULL};
    if (start(&E, "test_serve_deid_env", e_args, e_env) == 0) {
        char *h = deid_text(&E, "\"method\": \"hash\"");
        CHECK_MSG(!strcmp(h, hash1), "the key from the environment hashes otherwise: %s | %s", h, hash1);
        free(h);
        CHECK_INT(shift_of(&E, "Seen on 03/14/2021.", "\"patient_key\": \"patient-9\""), k_shift);
        CHECK_INT(server_stop(&E, SIGTERM), 0);
    }
    const char *c_args[] = {"--config-path", config_file, "--preload", "bundled/pii", "--quiet", NULL};
    const char *c_env[] = {"OPENMED_OFFLINE=1", "OPENMED_DEID_SECRET=", NULL}; /* empty: unset */
    if (start(&C, "test_serve_deid_config", c_args, c_env) == 0) {
        char *h = deid_text(&C, "\"method\": \"hash\"");
        CHECK_MSG(!strcmp(h, hash1), "the key from the config file hashes otherwise: %s | %s", h, hash1);
        free(h);
        CHECK_INT(server_stop(&C, SIGTERM), 0);
    }

    /* ---- N: no key: a warning at start-up, one random key for the run, patient_key refused */
    const char *n_args[] = {"--preload", "bundled/pii", "--config-path", empty_config, NULL};
    if (start(&N, "test_serve_deid_nokey", n_args, c_env) == 0) {
        char *a = deid_text(&N, "\"method\": \"hash\"");
        char *b = deid_text(&N, "\"method\": \"hash\"");
        CHECK_MSG(a[0] && !strcmp(a, b) && strcmp(a, hash1), "random key: %s | %s | %s", a, b, hash1);
        free(a);
        free(b);
        j = deid(&N, 200, &r, "{\"text\": \"%s\", \"method\": \"replace\"}", NOTE);
        CHECK_STR(cJSON_GetStringValue(meta(j, "key")), "random (this run only)");
        cJSON_Delete(j);
        reply_free(&r);
        refused(&N, "{\"text\": \"Kestrel\", \"method\": \"shift_dates\", \"patient_key\": \"patient-7\"}",
                "body.patient_key");
        CHECK_INT(server_stop(&N, SIGTERM), 0);
        char *log = read_file(N.log);
        CHECK_MSG(strstr(log, "warning: no de-identification key"), "no start-up warning: %s", log);
        free(log);
    }
    free(hash1);
    free(hash2);
    CHECK_INT(server_stop(&K, SIGTERM), 0);

    /* ---- the logs hold neither text nor key */
    const char *logs[] = {K.log, E.log, C.log};
    for (int i = 0; i < 3; i++) {
        char *log = read_file(logs[i]);
        CHECK_MSG(!strstr(log, KEY_VALUE) && !strstr(log, "Kestrel") && !strstr(log, "555-0142") &&
                      !strstr(log, "patient-7") && !strstr(log, "warning: no de-identification key"),
                  "%s: %s", logs[i], log);
        free(log);
    }
    unlink(key_file);
    unlink(config_file);
    unlink(empty_config);
    curl_global_cleanup();
    return check_finish("test_serve_deid");
}
