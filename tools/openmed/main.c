/* main.c: the `openmed` command-line tool: global usage and dispatch to one file per command. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    om_cli_command fn;
    const char *help;
} commands[] = {
    {"analyze", cmd_analyze, "find entities in text with a token-classification model"},
    {"tokenize", cmd_tokenize, "print token ids and offsets for text"},
    {"eval", cmd_eval, "strict entity-level precision/recall/F1 on CoNLL or span files"},
    {"bench", cmd_bench, "measure load time, throughput and peak memory"},
    {"pii", cmd_pii, "extract or de-identify personal identifiers (mask, remove, replace, hash)"},
    {"serve", cmd_serve, "serve /analyze and /pii/* as JSON over HTTP on 127.0.0.1"},
    {"models", cmd_models, "list, describe and pull registry models"},
    {"doctor", cmd_doctor, "show how the device, dtype and backends were chosen"},
};

/* Library warnings and errors reach the user on stderr (they never hold text or entities). */
static void log_to_stderr(openmed_log_level level, const char *message, void *user_data) {
    (void)user_data;
    if (level < OPENMED_LOG_WARN) return;
    fprintf(stderr, "openmed: %s: %s\n", level == OPENMED_LOG_WARN ? "warning" : "error", message);
}

static void usage(FILE *out) {
    fprintf(out, "usage: openmed <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(out, "\nRun 'openmed <command> --help' for a command's options.\n");
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("openmed %s\n", openmed_version());
        return 0;
    }
    openmed_log_set(log_to_stderr, NULL);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) != 0) continue;
        return commands[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "openmed: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
