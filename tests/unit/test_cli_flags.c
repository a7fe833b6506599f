/* test_cli_flags.c: README's flag table is what the commands do. For every row and command column,
 * each spelling the row names is accepted by that command where the cell claims it (the command
 * parses it, then prints its usage for a trailing --help) and refused as unknown where the cell is
 * empty (exit 2, the spelling named), so neither the table nor the vocabulary can drift. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli_run.h"
#include "core/file.h"

#define MAX_CELLS 16
#define MAX_SPELLINGS 8

/* Split a Markdown table row on '|' that is not escaped ("\|"); cells trimmed, "\|" kept as '|'. */
static int split_row(char *row, char *cells[MAX_CELLS]) {
    int n = 0;
    char *p = row;
    if (*p == '|') p++;
    char *start = p, *w = p;
    for (; *p && *p != '\n'; p++) {
        if (p[0] == '\\' && p[1] == '|') {
            *w++ = '|';
            p++;
        } else if (*p == '|') {
            *w = '\0';
            if (n < MAX_CELLS) cells[n++] = start;
            start = w = p + 1;
        } else {
            *w++ = *p;
        }
    }
    for (int i = 0; i < n; i++) { /* trim */
        while (*cells[i] == ' ') cells[i]++;
        size_t len = strlen(cells[i]);
        while (len && cells[i][len - 1] == ' ') cells[i][--len] = '\0';
    }
    return n;
}

/* The backticked pieces of a cell, copied into out (each NUL-terminated). */
static int backticked(const char *cell, char out[MAX_SPELLINGS][128]) {
    int n = 0;
    for (const char *p = strchr(cell, '`'); p && n < MAX_SPELLINGS; p = strchr(p + 1, '`')) {
        const char *e = strchr(p + 1, '`');
        if (!e) break;
        snprintf(out[n++], 128, "%.*s", (int)(e - p - 1), p + 1);
        p = e;
    }
    return n;
}

/* A value that parses for the placeholder of a spelling ("--input PATH" -> "zq.txt"). */
static const char *sample(const char *flag, const char *placeholder) {
    if (!placeholder || !*placeholder) return NULL;
    if (!strcmp(placeholder, "X")) return "0.5";
    if (!strcmp(placeholder, "N")) return "1";
    if (!strcmp(placeholder, "D")) return strcmp(flag, "--dtype") ? "cpu" : "float32";
    if (!strncmp(placeholder, "json", 4)) return "json";
    if (!strcmp(placeholder, "P")) return "zq-config.toml";
    if (!strcmp(placeholder, "FILE")) return "zq-out.json";
    if (!strcmp(placeholder, "PATH")) return "zq-input.txt";
    return "zq-name";
}

int main(void) {
    openmed_error err = {0};
    char *readme = NULL;
    size_t size = 0;
    CHECK(om_read_file(OM_SOURCE_DIR "/README.md", 0, &readme, &size, &err) == OPENMED_OK);
    char *table = readme ? strstr(readme, "\n| flag | meaning |") : NULL;
    CHECK_MSG(table != NULL, "README has no flag table");
    if (!table) return check_finish("test_cli_flags");
    setenv("OPENMED_OFFLINE", "1", 1); /* nothing here may reach the network */
    (void)write_file;

    char *header[MAX_CELLS];
    char *line = table + 1, *next = strchr(line, '\n');
    *next = '\0';
    int n_cols = split_row(line, header);
    CHECK(n_cols >= 3);
    int rows = 0, checks = 0;
    for (line = strchr(next + 1, '\n') + 1; line && !strncmp(line, "| `", 3); line = next ? next + 1 : NULL) {
        next = strchr(line, '\n');
        if (next) *next = '\0';
        char *cells[MAX_CELLS];
        int n = split_row(line, cells);
        CHECK_MSG(n == n_cols, "row of %d cells, header of %d: %s", n, n_cols, cells[0]);
        if (n != n_cols) continue;
        rows++;
        char spellings[MAX_SPELLINGS][128];
        int n_sp = backticked(cells[0], spellings);
        for (int c = 2; c < n_cols; c++) {
            char claimed[MAX_SPELLINGS][128];
            int n_claimed = backticked(cells[c], claimed), only_some = 0;
            for (int k = 0; k < n_claimed; k++) only_some |= !strncmp(claimed[k], "--", 2);
            const char *cmd = header[c];
            const char *runs[2] = {cmd, NULL};
            if (!strcmp(cmd, "pii")) runs[0] = "pii extract", runs[1] = "pii deidentify";
            if (!strcmp(cmd, "models")) runs[0] = "models list";
            for (int s = 0; s < n_sp; s++) {
                char flag[128], *placeholder = NULL;
                snprintf(flag, sizeof flag, "%.127s", spellings[s]);
                char *space = strchr(flag, ' ');
                if (space) *space = '\0', placeholder = space + 1;
                int claims = cells[c][0] != '\0';
                if (claims && only_some) {
                    claims = 0;
                    for (int k = 0; k < n_claimed; k++) claims |= !strcmp(claimed[k], flag);
                }
                char args[512];
                const char *value = sample(flag, placeholder);
                if (!strcmp(flag, "TEXT")) snprintf(args, sizeof args, "'zq text'");
                else snprintf(args, sizeof args, "%s%s%s", flag, value ? " " : "", value ? value : "");
                for (int r = 0; r < 2 && runs[r]; r++) {
                    char cmdline[2048];
                    checks++;
                    if (claims) {
                        snprintf(cmdline, sizeof cmdline, "%s %s --help < /dev/null", runs[r], args);
                        int rc = run(cmdline);
                        CHECK_MSG(rc == 0 && strstr(out_buf, "usage"), "README: `%s` takes %s, but exit %d: %.300s",
                                  runs[r], spellings[s], rc, out_buf + err_at);
                    } else {
                        snprintf(cmdline, sizeof cmdline, "%s %s < /dev/null", runs[r], args);
                        int rc = run(cmdline);
                        const char *named = !strcmp(flag, "TEXT") ? "zq text" : flag;
                        CHECK_MSG(rc == 2 && strstr(out_buf + err_at, named),
                                  "README: `%s` does not take %s, but exit %d: %.300s", runs[r], spellings[s], rc,
                                  out_buf + err_at);
                    }
                }
            }
        }
    }
    CHECK_MSG(rows >= 10, "only %d rows read from README's flag table", rows);
    fprintf(stderr, "test_cli_flags: %d rows, %d command/flag pairs\n", rows, checks);
    free(readme);
    return check_finish("test_cli_flags");
}
