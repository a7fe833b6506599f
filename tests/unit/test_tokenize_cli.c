/* test_tokenize_cli.c: `openmed tokenize` prints, for TEXT, .txt and .jsonl input, exactly the library's
 * encoding as JSON lines, and fails with a clear message and exit status on bad input. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "tokenizer/tokenizer.h"

static char cli[1024], model[1024], tmpdir[256];

/* Run a shell command; returns its exit status and stdout + stderr (malloc'd) in *out. */
static int run(const char *cmd, char **out) {
    char full[4096];
    snprintf(full, sizeof full, "%s 2>&1", cmd);
    FILE *p = popen(full, "r");
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t k;
    while (p && (k = fread(buf + n, 1, cap - n - 1, p)) > 0) {
        n += k;
        if (cap - n < 2) buf = realloc(buf, cap *= 2);
    }
    buf[n] = 0;
    int st = p ? pclose(p) : -1;
    *out = buf;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* One JSON line equals the library's encoding of `text`. */
static void check_line(const om_tokenizer *tok, const char *line, const char *text) {
    cJSON *o = cJSON_Parse(line);
    CHECK_MSG(o != NULL, "not JSON: %s", line);
    if (!o) return;
    om_encoding e;
    om_encoding_init(&e);
    openmed_error err;
    CHECK(om_tokenizer_encode(tok, text, strlen(text), 1, &e, &err) == OPENMED_OK);
    const cJSON *ids = cJSON_GetObjectItem(o, "ids"), *offs = cJSON_GetObjectItem(o, "offsets"), *toks = cJSON_GetObjectItem(o, "tokens");
    CHECK_INT(cJSON_GetArraySize(ids), e.count);
    CHECK_INT(cJSON_GetArraySize(offs), e.count);
    CHECK_INT(cJSON_GetArraySize(toks), e.count);
    for (size_t i = 0; i < e.count && (int)i < cJSON_GetArraySize(ids); i++) {
        CHECK_INT(cJSON_GetArrayItem(ids, (int)i)->valueint, e.ids[i]);
        const cJSON *p = cJSON_GetArrayItem(offs, (int)i);
        CHECK_INT(cJSON_GetArrayItem(p, 0)->valueint, e.offsets[2 * i]);
        CHECK_INT(cJSON_GetArrayItem(p, 1)->valueint, e.offsets[2 * i + 1]);
        CHECK_STR(cJSON_GetArrayItem(toks, (int)i)->valuestring, om_encoding_token(&e, i));
    }
    om_encoding_free(&e);
    cJSON_Delete(o);
}

static void write_file(const char *path, const char *data) {
    FILE *f = fopen(path, "wb");
    fputs(data, f);
    fclose(f);
}

int main(void) {
    snprintf(cli, sizeof cli, "%s/bin/openmed", OM_BINARY_DIR);
    snprintf(model, sizeof model, "%s/hf/tokenizers/bpe-roberta", OM_FIXTURES);
    CHECK_MSG(access(cli, X_OK) == 0, "%s is not built", cli);
    om_tokenizer *tok = NULL;
    openmed_error err;
    CHECK(om_tokenizer_load_dir(model, &tok, &err) == OPENMED_OK);
    if (!tok || access(cli, X_OK) != 0) return check_finish("test_tokenize_cli");
    snprintf(tmpdir, sizeof tmpdir, "/tmp/om_tokenize_cli_XXXXXX");
    CHECK(mkdtemp(tmpdir) != NULL);
    char cmd[4096], path[512], *out;

    /* TEXT argument, with a quote, a tab and non-ASCII */
    const char *text = "Pain \"7/10\"\tcaf\xC3\xA9 \xF0\x9F\x98\xA3 BRCA1.";
    snprintf(path, sizeof path, "%s/one.txt", tmpdir);
    write_file(path, text);
    snprintf(cmd, sizeof cmd, "'%s' tokenize --model '%s' \"$(cat '%s')\"", cli, model, path);
    CHECK_INT(run(cmd, &out), 0);
    check_line(tok, out, text);
    free(out);

    /* .txt: one text per line (CRLF too) */
    snprintf(path, sizeof path, "%s/in.txt", tmpdir);
    write_file(path, "first line\r\nsecond, line\n");
    snprintf(cmd, sizeof cmd, "'%s' tokenize --model '%s' --input '%s'", cli, model, path);
    CHECK_INT(run(cmd, &out), 0);
    char *nl = strchr(out, '\n');
    CHECK(nl != NULL);
    if (nl) {
        *nl = 0;
        check_line(tok, out, "first line");
        check_line(tok, nl + 1, "second, line");
    }
    free(out);

    /* .jsonl: {"text": ...} per line, escapes decoded */
    snprintf(path, sizeof path, "%s/in.jsonl", tmpdir);
    write_file(path, "{\"text\": \"a\\nb \\u00e9\"}\n");
    snprintf(cmd, sizeof cmd, "'%s' tokenize --model '%s' --input '%s'", cli, model, path);
    CHECK_INT(run(cmd, &out), 0);
    check_line(tok, out, "a\nb \xC3\xA9");
    free(out);

    /* bad inputs: invalid UTF-8 (line and byte named), a .jsonl line without text, no model, a bad folder */
    snprintf(path, sizeof path, "%s/bad.txt", tmpdir);
    write_file(path, "ok\nab\xFF\n");
    snprintf(cmd, sizeof cmd, "'%s' tokenize --model '%s' --input '%s'", cli, model, path);
    CHECK_INT(run(cmd, &out), 1);
    CHECK_MSG(strstr(out, "bad.txt:2") && strstr(out, "byte offset 2"), "%s", out);
    free(out);
    snprintf(path, sizeof path, "%s/bad.jsonl", tmpdir);
    write_file(path, "{\"txt\": \"x\"}\n");
    snprintf(cmd, sizeof cmd, "'%s' tokenize --model '%s' --input '%s'", cli, model, path);
    CHECK_INT(run(cmd, &out), 1);
    CHECK_MSG(strstr(out, "bad.jsonl:1") && strstr(out, "\"text\""), "%s", out);
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' tokenize hello", cli);
    CHECK_INT(run(cmd, &out), 2);
    CHECK_MSG(strstr(out, "--model"), "%s", out);
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' tokenize --model '%s/nothing-here' hello", cli, tmpdir);
    CHECK_INT(run(cmd, &out), 1);
    CHECK_MSG(strstr(out, "nothing-here"), "%s", out);
    free(out);

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    CHECK(system(cmd) == 0);
    om_tokenizer_free(tok);
    return check_finish("test_tokenize_cli");
}
