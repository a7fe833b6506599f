/* test_serve.c: the real `openmed serve` binary on 127.0.0.1 (a free port it picks), driven with
 * libcurl: /health, /analyze with the bundled disease model, /pii/deidentify masking planted
 * identifiers, /pii/extract, the 400/404/405/413/422 answers and concurrent clients getting the
 * answers a lone client gets; then SIGTERM and exit code 0. */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static char base_url[64];

typedef struct reply {
    char data[1 << 16];
    size_t len;
} reply;

static size_t collect(char *p, size_t size, size_t n, void *userdata) {
    reply *r = userdata;
    size_t k = size * n, room = sizeof r->data - 1 - r->len;
    memcpy(r->data + r->len, p, k < room ? k : room);
    r->len += k < room ? k : room;
    r->data[r->len] = '\0';
    return k;
}

/* METHOD path with body (NULL = none); returns the HTTP status, the body in r. */
static long request(const char *method, const char *path, const char *body, size_t len, reply *r) {
    char url[256];
    snprintf(url, sizeof url, "%s%s", base_url, path);
    r->len = 0;
    r->data[0] = '\0';
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    }
    long status = -1;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

static long post(const char *path, const char *body, reply *r) { return request("POST", path, body, strlen(body), r); }

/* The "detail" of an error reply is a string and never repeats the request text. */
static void check_detail(const reply *r, const char *secret) {
    cJSON *j = cJSON_Parse(r->data);
    CHECK_MSG(cJSON_IsString(cJSON_GetObjectItem(j, "detail")), "no detail in: %.200s", r->data);
    if (secret) CHECK_MSG(strstr(r->data, secret) == NULL, "error echoes the text");
    cJSON_Delete(j);
}

/* Concurrent clients: each posts to /analyze and /pii/deidentify and keeps the entity texts. */
typedef struct client {
    char analyze[256], deid[256];
} client;

static void entity_texts(const char *json, const char *list, const char *field, char *out, size_t size) {
    cJSON *j = cJSON_Parse(json);
    const cJSON *e;
    out[0] = '\0';
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, list)) {
        const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(e, field));
        snprintf(out + strlen(out), size - strlen(out), "%s|", t ? t : "?");
    }
    if (!j) snprintf(out, size, "not JSON");
    cJSON_Delete(j);
}

static void *client_run(void *arg) {
    client *c = arg;
    static _Thread_local reply r;
    if (post("/analyze", "{\"text\": \"The patient has cystic fibrosis.\"}", &r) == 200)
        entity_texts(r.data, "entities", "text", c->analyze, sizeof c->analyze);
    if (post("/pii/deidentify", "{\"text\": \"Call (617) 555-0142 or email john.smith@example.com.\"}", &r) == 200)
        entity_texts(r.data, "pii_entities", "label", c->deid, sizeof c->deid);
    return NULL;
}

int main(void) {
    int out[2];
    if (pipe(out) != 0) return 1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        close(out[0]);
        char bin[1024];
        snprintf(bin, sizeof bin, "%s/bin/openmed", OM_BINARY_DIR);
        execl(bin, bin, "serve", "--port", "0", "--threads", "2", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    FILE *f = fdopen(out[0], "r");
    char line[256] = "";
    unsigned port = 0;
    CHECK_MSG(fgets(line, sizeof line, f) != NULL, "the server printed nothing");
    CHECK_MSG(sscanf(line, "openmed serve: listening on http://127.0.0.1:%u", &port) == 1 && port > 0,
              "unexpected first line: %s", line);
    if (!port) {
        kill(pid, SIGKILL);
        return check_finish("test_serve");
    }
    snprintf(base_url, sizeof base_url, "http://127.0.0.1:%u", port);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    static reply r;

    CHECK_INT(request("GET", "/health", NULL, 0, &r), 200);
    cJSON *j = cJSON_Parse(r.data);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "status")), "ok");
    CHECK(cJSON_GetObjectItem(j, "models") != NULL);
    cJSON_Delete(j);

    /* /analyze: OpenMed's AnalyzeResult with the bundled disease model's DISEASE entity */
    CHECK_INT(post("/analyze", "{\"text\": \"The patient has cystic fibrosis.\"}", &r), 200);
    j = cJSON_Parse(r.data);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "text")), "The patient has cystic fibrosis.");
    int disease = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "entities")) {
        const char *label = cJSON_GetStringValue(cJSON_GetObjectItem(e, "label"));
        const char *text = cJSON_GetStringValue(cJSON_GetObjectItem(e, "text"));
        disease |= label && text && !strcmp(label, "DISEASE") && strstr(text, "fibrosis") != NULL;
    }
    CHECK_MSG(disease, "no DISEASE entity for fibrosis: %.400s", r.data);
    CHECK(cJSON_GetObjectItem(j, "model_name") && cJSON_GetObjectItem(j, "processing_time"));
    cJSON_Delete(j);
    /* a threshold above every score leaves no entities */
    CHECK_INT(post("/analyze", "{\"text\": \"The patient has cystic fibrosis.\", \"confidence_threshold\": 1.0}", &r), 200);
    j = cJSON_Parse(r.data);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "entities")), 0);
    cJSON_Delete(j);

    /* /pii/deidentify mask: the planted phone, e-mail and SSN are gone from the whole reply */
    const char *note = "{\"text\": \"Call (617) 555-0142 or email john.smith@example.com. SSN 123-45-6789.\", "
                       "\"method\": \"mask\"}";
    CHECK_INT(post("/pii/deidentify", note, &r), 200);
    j = cJSON_Parse(r.data);
    const char *deid = cJSON_GetStringValue(cJSON_GetObjectItem(j, "deidentified_text"));
    CHECK_MSG(deid != NULL, "no deidentified_text: %.300s", r.data);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "method")), "mask");
    CHECK(strstr(r.data, "555-0142") == NULL && strstr(r.data, "john.smith") == NULL &&
          strstr(r.data, "123-45-6789") == NULL);
    /* digit runs only in the text: the reply's timestamp digits are the clock's, not the input's */
    CHECK(deid && strstr(deid, "0142") == NULL && strstr(deid, "6789") == NULL);
    CHECK(deid && strstr(deid, "Call [") == deid);
    cJSON_Delete(j);
    /* keep_mapping gives the originals back on request */
    CHECK_INT(post("/pii/deidentify", "{\"text\": \"SSN 123-45-6789.\", \"keep_mapping\": true}", &r), 200);
    CHECK(strstr(r.data, "\"mapping\"") != NULL && strstr(r.data, "123-45-6789") != NULL);
    /* /pii/extract finds the e-mail */
    CHECK_INT(post("/pii/extract", "{\"text\": \"email john.smith@example.com today\"}", &r), 200);
    j = cJSON_Parse(r.data);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "entities")) >= 1);
    CHECK(strstr(r.data, "EMAIL") != NULL);
    cJSON_Delete(j);

    /* errors: {"detail"} with the right status, never echoing the text */
    CHECK_INT(post("/analyze", "{\"text\": \"secret-note-42\"", &r), 400);
    check_detail(&r, "secret-note-42");
    CHECK_INT(post("/pii/extract", "{\"text\": \"secret-\xff-note\"}", &r), 400);
    check_detail(&r, NULL);
    CHECK_INT(post("/analyze", "{\"txt\": \"secret-note-42\"}", &r), 422);
    check_detail(&r, "secret-note-42");
    CHECK(strstr(r.data, "text") != NULL);
    CHECK_INT(post("/pii/deidentify", "{\"text\": \"secret-note-42\", \"method\": \"blur\"}", &r), 422);
    check_detail(&r, "secret-note-42");
    CHECK(strstr(r.data, "method") != NULL);
    CHECK_INT(post("/analyze", "[1, 2]", &r), 422);
    CHECK_INT(request("GET", "/no/such/path", NULL, 0, &r), 404);
    check_detail(&r, NULL);
    CHECK_INT(request("GET", "/pii/deidentify", NULL, 0, &r), 405);
    check_detail(&r, NULL);
    CHECK_INT(post("/health", "{}", &r), 405);
    size_t big_len = (2u << 20) + 17;
    char *big = malloc(big_len);
    memset(big, 'a', big_len);
    CHECK_INT(request("POST", "/analyze", big, big_len, &r), 413);
    check_detail(&r, NULL);
    free(big);
    /* four clients at once get what one client gets */
    static client alone, many[4];
    client_run(&alone);
    CHECK(alone.analyze[0] && alone.deid[0]);
    pthread_t th[4];
    for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, client_run, &many[i]);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) {
        CHECK_STR(many[i].analyze, alone.analyze);
        CHECK_STR(many[i].deid, alone.deid);
    }
    /* still serving after the errors */
    CHECK_INT(request("GET", "/health", NULL, 0, &r), 200);

    curl_global_cleanup();
    kill(pid, SIGTERM);
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "server did not exit 0 on SIGTERM (status %d)", st);
    fclose(f);
    return check_finish("test_serve");
}
