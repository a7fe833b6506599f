/* pii_batch.h: `openmed pii extract|deidentify` over many documents read by the CLI's input layer
 * (inputs.h): one output (JSON lines, CSV or a JSON array, on standard output or in a file) or, for
 * a folder in, a folder out with each input file's name; ids and the input's other fields carried
 * to every output; a document that fails reported by id while the rest go on; every output file
 * written to a temporary file and renamed; progress with rate and ETA on a terminal. */
#ifndef OM_CLI_PII_BATCH_H
#define OM_CLI_PII_BATCH_H

#include "inputs.h"
#include "openmed.h"

typedef enum pii_format { PII_FORMAT_JSONL, PII_FORMAT_CSV, PII_FORMAT_JSON } pii_format;

typedef struct pii_batch {
    cli_reader *reader;       /* opened with keep_going: unreadable documents come as failures */
    const char *folder;       /* the input folder when the output is a folder, else NULL */
    const char *output;       /* the output folder (folder set), a file, or NULL/"-" for standard output */
    pii_format format;        /* the format of one output file; a folder's outputs keep each input's
                                 format (.jsonl, .csv; a text file gives its de-identified text, or
                                 NAME.json with `json` or for extract) */
    const struct openmed_model *model;
    const char *model_name;   /* for the JSON: the registry name, repo id or path the user gave */
    const openmed_deid_options *options;
    int deidentify;           /* else extract */
    int json;                 /* folder output: a text file's result as NAME.json */
    int lines;                /* --lines: folder output of a text file is NAME.jsonl, a result per line */
    int quiet;                /* no progress line */
} pii_batch;

/* Run; returns the exit code: 0, 1 when some document failed (each reported on stderr by id, never
 * with its text, and recorded in place of its result in JSON lines and CSV) or an output could not
 * be written, 2 for an unusable output path. */
int pii_batch_run(const pii_batch *b);

#endif
