/* cmd_tokenize.c: `openmed tokenize` — token ids, code-point offsets and token strings for text, one JSON
 * line per text, exactly as Hugging Face's tokenizer reports them (special tokens added, no truncation). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static const char *tokenize_usage =
    "usage: openmed tokenize --model PATH [--no-special-tokens] [TEXT | --input FILE]\n"
    "\n"
    "PATH is a model folder or a folder with just the tokenizer files (tokenizer.json, or vocab.txt\n"
    "for older BERT models). FILE is .txt (one text per line) or .jsonl ({\"text\": ...} per line);\n"
    "without TEXT or --input, lines are read from standard input. Prints one line per text:\n"
    "  {\"ids\": [...], \"offsets\": [[start, end], ...], \"tokens\": [...]}\n"
    "Offsets are [start, end) in Unicode code points of the text; special tokens have [0, 0].\n";

static void put_json_string(FILE *out, const char *s) {
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (*p < 0x20) fprintf(out, "\\u%04x", *p);
            else fputc(*p, out);
        }
    }
    fputc('"', out);
}

static int emit(const openmed_tokenizer *tok, const char *text, size_t len, int special, openmed_encoding *enc,
                const char *where, FILE *out) {
    openmed_error err;
    if (openmed_tokenizer_encode(tok, text, len, special, enc, &err) != OPENMED_OK) {
        fprintf(stderr, "openmed: %s%s%s\n", where ? where : "", where ? ": " : "", err.message);
        return 1;
    }
    fputs("{\"ids\": [", out);
    for (size_t i = 0; i < enc->count; i++) fprintf(out, i ? ", %d" : "%d", (int)enc->ids[i]);
    fputs("], \"offsets\": [", out);
    for (size_t i = 0; i < enc->count; i++)
        fprintf(out, i ? ", [%zu, %zu]" : "[%zu, %zu]", enc->offsets[2 * i], enc->offsets[2 * i + 1]);
    fputs("], \"tokens\": [", out);
    for (size_t i = 0; i < enc->count; i++) {
        if (i) fputs(", ", out);
        put_json_string(out, openmed_encoding_token(enc, i));
    }
    fputs("]}\n", out);
    return 0;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

/* Every line of `in`: raw text (.txt / stdin) or a {"text": ...} object (.jsonl). */
static int each_line(const openmed_tokenizer *tok, FILE *in, const char *name, int jsonl, int special, FILE *out) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    int rc = 0;
    openmed_encoding enc;
    openmed_encoding_init(&enc);
    char where[1200];
    while (rc == 0 && (n = getline(&line, &cap, in)) >= 0) {
        lineno++;
        size_t len = (size_t)n;
        if (len && line[len - 1] == '\n') len--;
        if (len && line[len - 1] == '\r') len--;
        snprintf(where, sizeof where, "%s:%ld", name, lineno);
        if (!jsonl) {
            rc = emit(tok, line, len, special, &enc, where, out);
            continue;
        }
        if (len == 0) continue; /* blank lines in .jsonl carry no record */
        cJSON *o = cJSON_ParseWithLength(line, len);
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "text");
        if (!cJSON_IsString(t)) {
            fprintf(stderr, "openmed: %s: expected a JSON object with a string \"text\"\n", where);
            rc = 1;
        } else {
            rc = emit(tok, t->valuestring, strlen(t->valuestring), special, &enc, where, out);
        }
        cJSON_Delete(o);
    }
    free(line);
    openmed_encoding_free(&enc);
    return rc;
}

int cmd_tokenize(int argc, char **argv) {
    const char *model = NULL, *input = NULL, *text = NULL;
    int special = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(tokenize_usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--model") && i + 1 < argc) {
            model = argv[++i];
        } else if (!strcmp(argv[i], "--input") && i + 1 < argc) {
            input = argv[++i];
        } else if (!strcmp(argv[i], "--no-special-tokens")) {
            special = 0;
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            fprintf(stderr, "openmed tokenize: unknown or incomplete option '%s'\n\n%s", argv[i], tokenize_usage);
            return 2;
        } else if (!text) {
            text = argv[i];
        } else {
            fprintf(stderr, "openmed tokenize: give one TEXT (quote it) or --input FILE\n\n%s", tokenize_usage);
            return 2;
        }
    }
    if (!model || (text && input)) {
        fprintf(stderr, "openmed tokenize: %s\n\n%s", !model ? "--model PATH is required" : "give TEXT or --input, not both",
                tokenize_usage);
        return 2;
    }
    /* a path to tokenizer.json itself means its folder */
    char dir[4096];
    struct stat st;
    snprintf(dir, sizeof dir, "%s", model);
    if (stat(model, &st) == 0 && S_ISREG(st.st_mode)) {
        char *slash = strrchr(dir, '/');
        if (slash) *slash = 0;
        else snprintf(dir, sizeof dir, ".");
    }
    openmed_tokenizer *tok = NULL;
    openmed_error err;
    if (openmed_tokenizer_load(dir, &tok, &err) != OPENMED_OK) return cli_report(&err);
    int rc;
    if (text) {
        openmed_encoding enc;
        openmed_encoding_init(&enc);
        rc = emit(tok, text, strlen(text), special, &enc, NULL, stdout);
        openmed_encoding_free(&enc);
    } else if (input) {
        FILE *in;
        openmed_error err;
        if (cli_open_input(input, &in, &err) != OPENMED_OK) { /* a FIFO or device would hang */
            fprintf(stderr, "openmed: %s\n", err.message);
            rc = 1;
        } else {
            rc = each_line(tok, in, input, ends_with(input, ".jsonl"), special, stdout);
            fclose(in);
        }
    } else {
        rc = each_line(tok, stdin, "<stdin>", 0, special, stdout);
    }
    openmed_tokenizer_free(tok);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "openmed: cannot write the output\n");
        rc = 1;
    }
    return rc;
}
