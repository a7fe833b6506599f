/* test_tokenize_cli.c: `openmed tokenize` reads documents as every command does (TEXT, -, .txt/.md,
 * .jsonl, .csv, folders, --lines), prints exactly the library's encoding as one JSON line per
 * document named by its id (with the input's other fields), and fails with a clear message and exit
 * status on bad input. */
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

/* One JSON line equals the library's encoding of `text` and is named `id`. */
static void check_doc(const om_tokenizer *tok, const char *line, const char *text, const char *id) {
    const char *nl = strchr(line, '\n');
    cJSON *o = cJSON_ParseWithLength(line, nl ? (size_t)(nl - line) : strlen(line));
    CHECK_MSG(o != NULL, "not JSON: %s", line);
    if (!o) return;
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "id")), id);
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

static void check_line(const om_tokenizer *tok, const char *line, const char *text) { check_doc(tok, line, text, "text"); }

/* The n-th line (0-based) of out, or NULL. */
static const char *nth_line(const char *out, int n) {
    for (; n > 0 && out; n--) {
        out = strchr(out, '\n');
        if (out) out++;
    }
    return out && *out ? out : NULL;
}

static int count_lines(const char *out) {
    int n = 0;
    for (; *out; out++) n += *out == '\n';
    return n;
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

    /* .txt and .md: the whole file is one document, named by its path */
    snprintf(path, sizeof path, "%s/in.txt", tmpdir);
    write_file(path, "first line\r\n\nsecond, line\n");
    snprintf(cmd, sizeof cmd, "'%s' tokenize --model '%s' --input '%s'", cli, model, path);
    CHECK_INT(run(cmd, &out), 0);
    CHECK_INT(count_lines(out), 1);
    check_doc(tok, out, "first line\r\n\nsecond, line\n", path);
    free(out);

    /* --lines: each non-blank line (CRLF too), "PATH:LINE"; the same from standard input ("-:LINE") */
    snprintf(cmd, sizeof cmd, "'%s' tokenize --model '%s' --lines --input '%s'", cli, model, path);
    CHECK_INT(run(cmd, &out), 0);
    CHECK_INT(count_lines(out), 2);
    char id[600];
    snprintf(id, sizeof id, "%s:1", path);
    check_doc(tok, out, "first line", id);
    snprintf(id, sizeof id, "%s:3", path);
    if (nth_line(out, 1)) check_doc(tok, nth_line(out, 1), "second, line", id);
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' tokenize --model '%s' --lines - < '%s'", cli, model, path);
    CHECK_INT(run(cmd, &out), 0);
    CHECK_INT(count_lines(out), 2);
    check_doc(tok, out, "first line", "-:1");
    free(out);

    /* several TEXT arguments: "text:1", "text:2" */
    snprintf(cmd, sizeof cmd, "'%s' tokenize --model '%s' alpha 'beta gamma'", cli, model);
    CHECK_INT(run(cmd, &out), 0);
    check_doc(tok, out, "alpha", "text:1");
    if (nth_line(out, 1)) check_doc(tok, nth_line(out, 1), "beta gamma", "text:2");
    free(out);

    /* .jsonl: the text field (escapes decoded), the id as given and the other fields in "metadata";
     * .csv the same by column; a folder: each file, in name order */
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/dir'", tmpdir);
    CHECK(system(cmd) == 0);
    snprintf(path, sizeof path, "%s/dir/a.jsonl", tmpdir);
    write_file(path, "{\"id\": 17, \"text\": \"a\\nb \\u00e9\", \"ward\": \"3B\"}\n\n{\"note\": \"x y\"}\n");
    snprintf(cmd, sizeof cmd, "'%s' tokenize --model '%s' --input '%s'", cli, model, path);
    CHECK_INT(run(cmd, &out), 1);
    CHECK_MSG(strstr(out, "a.jsonl:3") && strstr(out, "\"text\""), "%s", out); /* the record without text */
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' tokenize --model '%s' --text-field note --input '%s'", cli, model, path);
    CHECK_INT(run(cmd, &out), 1);
    CHECK_MSG(strstr(out, "a.jsonl:1") && strstr(out, "\"note\""), "%s", out);
    free(out);
    write_file(path, "{\"id\": 17, \"text\": \"a\\nb \\u00e9\", \"ward\": \"3B\"}\n\n{\"text\": \"x y\"}\n");
    snprintf(cmd, sizeof cmd, "'%s' tokenize --model '%s' --input '%s'", cli, model, path);
    CHECK_INT(run(cmd, &out), 0);
    CHECK_INT(count_lines(out), 2);
    CHECK_MSG(strncmp(out, "{\"id\": 17, \"ids\": [", strlen("{\"id\": 17, \"ids\": [")) == 0, "%s", out);
    CHECK_MSG(strstr(out, "]], \"tokens\": [") && strstr(out, "], \"metadata\": {\"ward\": \"3B\"}}\n"), "%s", out);
    snprintf(id, sizeof id, "%s:3", path);
    if (nth_line(out, 1)) check_doc(tok, nth_line(out, 1), "x y", id);
    cJSON *first = cJSON_ParseWithLength(out, (size_t)(strchr(out, '\n') - out));
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(first, "id")) == 17);
    cJSON_Delete(first);
    free(out);
    snprintf(path, sizeof path, "%s/dir/b.csv", tmpdir);
    write_file(path, "id,text,ward\nr-1,\"Pain, \"\"7/10\"\"\",4C\n");
    snprintf(path, sizeof path, "%s/dir/c.md", tmpdir);
    write_file(path, "# Plan\n\nRest.\n");
    snprintf(path, sizeof path, "%s/dir", tmpdir);
    snprintf(cmd, sizeof cmd, "'%s' tokenize --model '%s' --input '%s' 2>/dev/null", cli, model, path);
    CHECK_INT(run(cmd, &out), 0);
    CHECK_INT(count_lines(out), 4);
    if (nth_line(out, 2)) check_doc(tok, nth_line(out, 2), "Pain, \"7/10\"", "r-1");
    CHECK(strstr(out, "\"metadata\": {\"ward\": \"4C\"}") != NULL);
    snprintf(id, sizeof id, "%s/dir/c.md", tmpdir);
    if (nth_line(out, 3)) check_doc(tok, nth_line(out, 3), "# Plan\n\nRest.\n", id);
    free(out);

    /* bad inputs: invalid UTF-8 (file, line and byte named), no input, a missing model folder, a
     * mistyped registry name (offline: "did you mean", no network) */
    snprintf(path, sizeof path, "%s/bad.txt", tmpdir);
    write_file(path, "ok\nab\xFF\n");
    snprintf(cmd, sizeof cmd, "'%s' tokenize --model '%s' --input '%s'", cli, model, path);
    CHECK_INT(run(cmd, &out), 1);
    CHECK_MSG(strstr(out, "bad.txt:2: invalid UTF-8 at byte 5"), "%s", out);
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' tokenize --model '%s'", cli, model);
    CHECK_INT(run(cmd, &out), 2);
    CHECK_MSG(strstr(out, "--input"), "%s", out);
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' tokenize --model '%s/nothing-here' hello", cli, tmpdir);
    CHECK_INT(run(cmd, &out), 1);
    CHECK_MSG(strstr(out, "nothing-here"), "%s", out);
    free(out);
    snprintf(cmd, sizeof cmd, "OPENMED_OFFLINE=1 '%s' tokenize --model disease_detection_tyni hello", cli);
    CHECK_INT(run(cmd, &out), 1);
    CHECK_MSG(strstr(out, "did you mean disease_detection_tiny?"), "%s", out);
    free(out);

    /* --output FILE: the same lines, written whole (no temporary file left); a path that cannot be
     * written fails naming it */
    {
        char *direct = NULL, outpath[600], *in_file = NULL;
        snprintf(path, sizeof path, "%s/dir", tmpdir);
        snprintf(cmd, sizeof cmd, "'%s' tokenize --model '%s' --input '%s' 2>/dev/null", cli, model, path);
        CHECK_INT(run(cmd, &direct), 0);
        snprintf(outpath, sizeof outpath, "%s/tokens.jsonl", tmpdir);
        snprintf(cmd, sizeof cmd, "'%s' tokenize --model '%s' --input '%s' --output '%s'", cli, model, path, outpath);
        CHECK_INT(run(cmd, &out), 0);
        CHECK_MSG(!strstr(out, "\"ids\""), "%s", out); /* nothing on standard output */
        free(out);
        snprintf(cmd, sizeof cmd, "cat '%s'", outpath);
        CHECK_INT(run(cmd, &in_file), 0);
        CHECK_STR(in_file, direct);
        snprintf(cmd, sizeof cmd, "ls '%s' | grep -c tmp", tmpdir);
        CHECK_INT(run(cmd, &out), 1); /* grep found nothing */
        free(out);
        snprintf(cmd, sizeof cmd, "'%s' tokenize --model '%s' --output '%s/no/such/dir/t.jsonl' hello", cli, model, tmpdir);
        CHECK_INT(run(cmd, &out), 1);
        CHECK_MSG(strstr(out, "cannot write") && strstr(out, "no/such/dir/t.jsonl"), "%s", out);
        free(out);
        snprintf(cmd, sizeof cmd, "'%s' tokenize --model '%s' --output '%s' hello", cli, model, tmpdir); /* a folder */
        CHECK_INT(run(cmd, &out), 1);
        CHECK_MSG(strstr(out, "is a folder"), "%s", out);
        free(out);
        free(direct);
        free(in_file);
    }

    /* progress: rate and ETA on a terminal (a pseudo-terminal from script(1)) for several documents;
     * nothing when standard error is piped, nothing with --quiet */
    snprintf(path, sizeof path, "%s/dir", tmpdir);
    snprintf(cmd, sizeof cmd, "'%s' tokenize --model '%s' --input '%s'", cli, model, path);
    CHECK_INT(run(cmd, &out), 0);
    CHECK_MSG(!strstr(out, "documents") && !strchr(out, '\r'), "%s", out);
    free(out);
    if (system("script -qec true /dev/null > /dev/null 2>&1") == 0) {
        char log[600];
        snprintf(log, sizeof log, "%s/tty.log", tmpdir);
        for (int quiet = 0; quiet < 2; quiet++) {
            snprintf(cmd, sizeof cmd, "script -qec \"'%s' tokenize %s--model '%s' --input '%s' > /dev/null\" '%s' > /dev/null",
                     cli, quiet ? "--quiet " : "", model, path, log);
            CHECK(system(cmd) == 0);
            snprintf(cmd, sizeof cmd, "cat '%s'", log);
            CHECK_INT(run(cmd, &out), 0);
            if (quiet) CHECK_MSG(!strstr(out, "documents"), "%s", out);
            else CHECK_MSG(strstr(out, "4/4 documents") && strstr(out, "/s") && strstr(out, " in "), "%s", out);
            free(out);
        }
    } else {
        fprintf(stderr, "test_tokenize_cli: script(1) cannot open a pseudo-terminal here; terminal progress not checked\n");
    }

    /* no --model: the bundled disease model's tokenizer, as analyze uses */
    const char *bundled = OM_SOURCE_DIR "/models/disease-ner"; /* where the binary finds it in a build tree */
    if (access(OM_SOURCE_DIR "/models/disease-ner/config.json", R_OK) == 0) {
        om_tokenizer *btok = NULL;
        CHECK(om_tokenizer_load_dir(bundled, &btok, &err) == OPENMED_OK);
        snprintf(cmd, sizeof cmd, "'%s' tokenize 'Apixaban 5 mg'", cli);
        CHECK_INT(run(cmd, &out), 0);
        if (btok) check_line(btok, out, "Apixaban 5 mg");
        free(out);
        om_tokenizer_free(btok);
    }

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    CHECK(system(cmd) == 0);
    om_tokenizer_free(tok);
    return check_finish("test_tokenize_cli");
}
