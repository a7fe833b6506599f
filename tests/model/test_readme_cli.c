/* test_readme_cli.c: README's CLI examples are true. Every `build/bin/openmed ...` line of its sh
 * blocks is run for real in a folder holding the files it names (note.txt, notes.jsonl, notes.csv,
 * notes/, devel.tsv, gold.jsonl; FOLDER is the bundled model), offline: it must succeed, and print what its
 * comment quotes when it quotes something ("did you mean ..."). `serve` and `models pull` (they
 * listen or download) and synopses with [optional] parts are held to their flags instead: each
 * --flag they show must parse (`CMD ... --help`) or be named in `openmed CMD --help`, as must the
 * flags of every `openmed CMD ...` written inline in the prose. The install line README gives
 * names exactly the -dev packages scripts/setup.sh installs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli_run.h"
#include "core/file.h"

static char dir[] = "/tmp/openmed-readme-XXXXXX";

/* The command words of an `openmed` argument list ("pii deidentify", "models list", "analyze"). */
static void command_of(const char *args, char *out, size_t size) {
    char first[64] = "", second[64] = "";
    sscanf(args, "%63s %63s", first, second);
    int two = !strcmp(first, "pii") || !strcmp(first, "models");
    snprintf(out, size, "%s%s%s", first, two ? " " : "", two ? second : "");
}

/* Each --flag of text[0..n) must appear in `openmed CMD --help`. */
static void flags_in_usage(const char *cmd, const char *text, size_t n, const char *where) {
    char args[256];
    snprintf(args, sizeof args, "%s --help < /dev/null", cmd);
    int rc = run(args);
    CHECK_MSG(rc == 0 && strstr(out_buf, "usage"), "README %s: `openmed %s --help` exit %d", where, cmd, rc);
    static char usage[sizeof out_buf];
    memcpy(usage, out_buf, sizeof usage);
    for (size_t i = 0; i + 2 < n; i++) {
        if (text[i] != '-' || text[i + 1] != '-' || (i && text[i - 1] != ' ' && text[i - 1] != '[' && text[i - 1] != '(' &&
                                                     text[i - 1] != '|'))
            continue;
        size_t k = i + 2;
        while (k < n && (text[k] == '-' || (text[k] >= 'a' && text[k] <= 'z'))) k++;
        char flag[64];
        snprintf(flag, sizeof flag, "%.*s", (int)(k - i), text + i);
        char *hit = strstr(usage, flag);
        /* the whole flag, not a prefix of a longer one */
        while (hit && (hit[strlen(flag)] == '-' || (hit[strlen(flag)] >= 'a' && hit[strlen(flag)] <= 'z')))
            hit = strstr(hit + 1, flag);
        CHECK_MSG(hit != NULL, "README %s: `openmed %s` shows %s, which its --help does not name", where, cmd, flag);
    }
}

/* Where a shell line's comment starts (a '#' after white space, outside quotes), or its end. */
static size_t comment_at(const char *s, size_t n) {
    char quote = 0;
    for (size_t i = 0; i < n; i++) {
        if (quote) {
            if (s[i] == quote) quote = 0;
        } else if (s[i] == '"' || s[i] == '\'') {
            quote = s[i];
        } else if (s[i] == '#' && i && (s[i - 1] == ' ' || s[i - 1] == '\t')) {
            return i;
        }
    }
    return n;
}

static void write_fixtures(void) {
    char p[512];
#define PUT(name, data) (snprintf(p, sizeof p, "%s/%s", dir, name), write_file(p, data))
    PUT("note.txt", "CHIEF COMPLAINT\n\nThe patient, Zed Quorra, has cystic fibrosis and asthma.\n"
                    "Call 617-555-0142.\n");
    PUT("notes.txt", "The patient has cystic fibrosis.\nNo history of diabetes.\n");
    PUT("notes.jsonl", "{\"id\": \"n1\", \"text\": \"The patient has asthma.\", \"ward\": \"3B\"}\n"
                       "{\"id\": \"n2\", \"text\": \"Call 617-555-0142 about the flu.\", \"ward\": \"4C\"}\n");
    PUT("notes.csv", "id,text,ward\r\nc1,\"Asthma, mild\",3B\r\nc2,SSN 123-45-6789,4C\r\n");
    snprintf(p, sizeof p, "mkdir -p %s/notes", dir);
    CHECK(system(p) == 0);
    PUT("notes/a.txt", "Zed Quorra has pneumonia.\n");
    PUT("notes/b.jsonl", "{\"id\": \"b1\", \"text\": \"Diabetes, call 617-555-0142.\"}\n");
    PUT("gold.jsonl", "{\"id\": \"g1\", \"text\": \"Cystic fibrosis.\", \"spans\": [{\"start\": 0, \"end\": 15, "
                      "\"label\": \"DISEASE\"}]}\n{\"id\": \"g2\", \"text\": \"Aspirin for pain.\", \"spans\": []}\n");
    PUT("devel.tsv", "Cystic\tB-DISEASE\nfibrosis\tI-DISEASE\n\nAspirin\tO\nfor\tO\npain\tB-DISEASE\n");
#undef PUT
}

/* One `build/bin/openmed ...` line of a sh block (comment included). */
static int example(const char *line, size_t n) {
    const char *at = strstr(line, "build/bin/openmed ");
    if (!at || at >= line + n) return 0;
    if (at != line && strncmp(line, "cat ", 4) != 0) return 0; /* "scripts/setup.sh && ...": the setup line */
    size_t cut = comment_at(line, n);
    const char *comment = line + cut;
    size_t comment_len = n - cut;
    size_t len = cut;
    while (len && line[len - 1] == ' ') len--;
    const char *args = at + strlen("build/bin/openmed ");
    size_t args_len = (size_t)(line + len - args);
    char cmd[64], shown[2048];
    command_of(args, cmd, sizeof cmd);
    snprintf(shown, sizeof shown, "%.*s", (int)len, line);
    if (memchr(args, '[', args_len) || !strcmp(cmd, "serve") || !strcmp(cmd, "models pull")) {
        flags_in_usage(cmd, args, args_len, shown);
        if (!memchr(args, '[', args_len)) { /* an example held to its flags: they parse */
            char full[2400];
            snprintf(full, sizeof full, "%.*s --help < /dev/null", (int)args_len, args);
            int rc = run(full);
            CHECK_MSG(rc == 0 && strstr(out_buf, "usage"), "README `%s`: exit %d: %.300s", shown, rc, out_buf + err_at);
        }
        return 1;
    }
    /* run it where its files are, FOLDER being the bundled model */
    char script[8192], *w = script;
    w += snprintf(w, sizeof script, "cd %s && ", dir);
    for (size_t i = 0; i < len && w < script + sizeof script - 600;) {
        if (!strncmp(line + i, "build/bin/openmed", 17)) {
            w += sprintf(w, "%s/bin/openmed", OM_BINARY_DIR);
            i += 17;
        } else if (!strncmp(line + i, "FOLDER", 6)) {
            w += sprintf(w, "%s/models/disease-ner", OM_SOURCE_DIR);
            i += 6;
        } else {
            *w++ = line[i++];
        }
    }
    *w = '\0';
    char errfile[600];
    snprintf(errfile, sizeof errfile, "%s/stderr.log", dir);
    char full[9000];
    snprintf(full, sizeof full, "(%s) > %s/stdout.log 2> %s < /dev/null", script, dir, errfile);
    int rc = system(full);
    char *out = NULL, *err_text = NULL;
    size_t size = 0;
    openmed_error err;
    char outfile[600];
    snprintf(outfile, sizeof outfile, "%s/stdout.log", dir);
    om_read_file(outfile, 0, &out, &size, &err);
    om_read_file(errfile, 0, &err_text, &size, &err);
    const char *q1 = memchr(comment, '"', comment_len);
    const char *q2 = q1 ? memchr(q1 + 1, '"', (size_t)(comment + comment_len - q1 - 1)) : NULL;
    if (q2) { /* the comment quotes what it prints */
        char want[256];
        snprintf(want, sizeof want, "%.*s", (int)(q2 - q1 - 1), q1 + 1);
        CHECK_MSG((out && strstr(out, want)) || (err_text && strstr(err_text, want)), "README `%s` does not print \"%s\": %s%s",
                  shown, want, out ? out : "", err_text ? err_text : "");
    } else {
        CHECK_MSG(rc == 0 && out && (out[0] || strstr(args, "--output")), "README `%s`: exit %d, %s", shown, rc,
                  err_text ? err_text : "");
    }
    free(out);
    free(err_text);
    return 1;
}

/* README's `apt-get install ...` names the -dev packages of scripts/setup.sh, and only its packages. */
static void install_line(const char *readme) {
    openmed_error err;
    char *setup = NULL;
    size_t size = 0;
    CHECK(om_read_file(OM_SOURCE_DIR "/scripts/setup.sh", 0, &setup, &size, &err) == OPENMED_OK);
    const char *apt = strstr(readme, "`apt-get install ");
    CHECK_MSG(apt != NULL, "README gives no `apt-get install ...` line");
    char *list = setup ? strstr(setup, "PACKAGES=(") : NULL;
    char *list_end = list ? strchr(list, ')') : NULL;
    if (!apt || !list || !list_end) {
        free(setup);
        return;
    }
    *list_end = '\0';
    list += strlen("PACKAGES=(");
    const char *apt_end = strchr(apt + 1, '`');
    char readme_pkgs[2048];
    snprintf(readme_pkgs, sizeof readme_pkgs, " %.*s ", (int)(apt_end - apt - 17), apt + 17);
    for (char *c = readme_pkgs; *c; c++)
        if (*c == '\n') *c = ' ';
    char setup_pkgs[4096];
    snprintf(setup_pkgs, sizeof setup_pkgs, " %s ", list);
    for (char *c = setup_pkgs; *c; c++)
        if (*c == '\n') *c = ' ';
    char *save = NULL, copy[4096];
    snprintf(copy, sizeof copy, "%s", readme_pkgs);
    for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        char key[128];
        snprintf(key, sizeof key, " %s ", t);
        CHECK_MSG(strstr(setup_pkgs, key) != NULL, "README installs %s, which scripts/setup.sh does not", t);
    }
    snprintf(copy, sizeof copy, "%s", setup_pkgs);
    for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        size_t l = strlen(t);
        if (l < 4 || strcmp(t + l - 4, "-dev") != 0 || !strncmp(t, "python3", 7)) continue;
        char key[128];
        snprintf(key, sizeof key, " %s ", t);
        CHECK_MSG(strstr(readme_pkgs, key) != NULL, "scripts/setup.sh installs %s, README's install line does not", t);
    }
    free(setup);
}

int main(void) {
    if (!mkdtemp(dir)) return 1;
    setenv("OPENMED_OFFLINE", "1", 1); /* nothing here may reach the network */
    setenv("HF_ENDPOINT", "http://127.0.0.1:9", 1);
    openmed_error err = {0};
    char *readme = NULL;
    size_t size = 0;
    CHECK(om_read_file(OM_SOURCE_DIR "/README.md", 0, &readme, &size, &err) == OPENMED_OK);
    if (!readme) return check_finish("test_readme_cli");
    write_fixtures();
    install_line(readme);

    int examples = 0, inline_spans = 0, in_sh = 0;
    for (const char *line = readme; *line;) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        if (!strncmp(line, "```", 3)) in_sh = !in_sh && !strncmp(line, "```sh", 5);
        else if (in_sh) examples += example(line, n);
        else { /* `openmed CMD ...` in the prose */
            for (const char *p = line; (p = strstr(p, "`openmed ")) && p < line + n; p++) {
                const char *end = memchr(p + 1, '`', (size_t)(line + n - p - 1));
                if (!end) break;
                const char *args = p + strlen("`openmed ");
                if (!memchr(args, ' ', (size_t)(end - args))) continue; /* `openmed analyze`: a bare name */
                if (args < end && args[0] == 'C') continue;               /* `openmed CMD --help` */
                char cmd[64], shown[512];
                snprintf(shown, sizeof shown, "%.*s", (int)(end - p + 1), p);
                char span[512];
                snprintf(span, sizeof span, "%.*s", (int)(end - args), args);
                command_of(span, cmd, sizeof cmd);
                if (strchr(cmd, '|')) *strchr(cmd, '|') = '\0'; /* `openmed models list|info|pull` */
                flags_in_usage(cmd, span, strlen(span), shown);
                inline_spans++;
                p = end;
            }
        }
        line = nl ? nl + 1 : line + n;
    }
    CHECK_MSG(examples >= 15, "only %d examples found in README's sh blocks", examples);
    fprintf(stderr, "test_readme_cli: %d examples, %d inline commands\n", examples, inline_spans);
    free(readme);
    char rm[600];
    snprintf(rm, sizeof rm, "rm -rf %s", dir);
    CHECK(system(rm) == 0);
    return check_finish("test_readme_cli");
}
