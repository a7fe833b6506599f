/* pii_batch.h: `openmed pii deidentify` over many documents: a folder of text files or a JSONL file
 * in, a folder or a JSONL file out, one document at a time (memory bounded by the largest), a
 * progress bar on a terminal, a failing document reported while the rest go on, every output file
 * written to a temporary file and renamed. The document reader is the one place that knows input
 * formats, so a shared CLI input layer can replace it. */
#ifndef OM_CLI_PII_BATCH_H
#define OM_CLI_PII_BATCH_H

#include "openmed.h"

typedef struct pii_batch {
    const char *input;        /* a folder or a .jsonl file */
    const char *output;       /* a folder (folder input), a .jsonl file, or NULL/"-" for standard output (JSONL) */
    const struct openmed_model *model;
    const char *model_name;   /* for the JSON metadata */
    const openmed_deid_options *options;
    int json;                 /* folder output: write NAME.json results instead of the de-identified text */
    int quiet;                /* no progress bar */
} pii_batch;

/* 1 when `input` names many documents: a folder or a file ending in .jsonl. */
int pii_batch_wanted(const char *input);

/* Run; returns the exit code: 0, 1 when some document failed (each reported on stderr, by id, never
 * with its text), 2 for unusable input or output paths. */
int pii_batch_run(const pii_batch *b);

#endif
