/* inputs.h: the documents a command reads, one layer for analyze, pii and bench.
 *
 *   TEXT            one document (id "text"; "text:1", "text:2", ... when several are given)
 *   -               standard input, one document (id "-"), or records as in a .jsonl or .csv file
 *                   (stdin_records)
 *   FILE.txt|.md    the whole file is one document (id: the path); any other extension is read
 *                   the same way when it is UTF-8 text
 *   FILE.jsonl      one document per line: a JSON object with the text under --text-field
 *                   ("text"); its --id-field ("id") names it and its other fields travel to the
 *                   output (id "FILE:LINE" when the object has none)
 *   FILE.csv        one document per row (RFC 4180, a header line): the text column names it as
 *                   for .jsonl, the id column and the other columns travel to the output
 *   FOLDER          each .txt, .md, .jsonl and .csv file under it, sub-folders included (sorted;
 *                   hidden files and other extensions skipped and counted), named by its path
 *   --lines         every non-blank line of a TEXT, standard input or text file is its own
 *                   document (id "SOURCE:LINE")
 *
 * A FIFO, socket or device is refused (reading one may never end), unless it is standard input
 * given as "-". Text must be UTF-8 without NUL bytes; errors name the file and line. A document
 * that fails these checks fails the read, or with keep_going comes back carrying its error so a
 * batch can report it and go on.
 */
#ifndef OPENMED_CLI_INPUTS_H
#define OPENMED_CLI_INPUTS_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "openmed.h"

typedef struct cli_doc {
    char *id;       /* what the outputs call it (see above) */
    char *text;     /* UTF-8, NUL-terminated */
    char *source;   /* the file it came from, "-" for standard input, NULL for a TEXT argument */
    size_t line;    /* line of `source` where it starts (jsonl, csv, --lines), else 0 */
    cJSON *id_value; /* the id as the input gave it (a jsonl number stays a number), NULL when the id
                        was made from the file name or line */
    cJSON *fields;   /* the input's other fields (jsonl keys, csv columns, without the text and id) as
                        an object, NULL when there are none */
} cli_doc;

typedef struct cli_docs {
    cli_doc *v;
    char **error; /* only with keep_going: error[i] says why v[i] could not be read (it names the file
                     and line, never holds text; v[i].text is then empty), NULL for a good document */
    size_t n, cap;
} cli_docs;

void cli_docs_clear(cli_docs *docs); /* free the documents, keep the list */
void cli_docs_free(cli_docs *docs);

typedef struct cli_input_options {
    const char *text_field; /* jsonl key / csv column of the text; NULL = "text" */
    const char *id_field;   /* jsonl key / csv column of the id; NULL = "id" */
    int lines;              /* --lines */
    const char *stdin_records; /* ".jsonl" or ".csv": standard input holds records, read as a file of
                               that kind (their messages and line-made ids say "standard input:LINE");
                               NULL: it is one text (or --lines) */
    int keep_going;         /* a document that cannot be read (bad UTF-8, a JSONL line without its
                               text, a CSV row of the wrong width, an unreadable file in a folder)
                               comes back with its `error` set instead of failing the whole read; paths
                               that do not exist, FIFOs and devices still fail at open */
} cli_input_options;

/* One thing the user named: a TEXT argument or a path ("-" is standard input). */
typedef struct cli_input {
    const char *value;
    int is_text;
} cli_input;

/* A reader over all the inputs of a command, in order. Opening checks every input and counts the
 * documents (each file is read and parsed once, then dropped, so bad input fails before any work
 * and a progress report knows the total); reading then yields documents in batches, holding one
 * file at a time (standard input is kept from the first pass). */
typedef struct cli_reader cli_reader;

openmed_status cli_reader_open(cli_reader **out, const cli_input *inputs, size_t n_inputs, const cli_input_options *o,
                               openmed_error *err);
size_t cli_reader_total(const cli_reader *r);   /* documents in all */
size_t cli_reader_skipped(const cli_reader *r); /* files under folders not read (hidden, other extensions) */
/* The names of the documents' other fields (jsonl keys, csv columns) over all inputs, each once, in
 * order of first appearance: a JSON array of strings, empty when none; owned by the reader. */
const cJSON *cli_reader_field_names(const cli_reader *r);
/* Replace *batch's documents by the next up to max (none at the end). */
openmed_status cli_reader_next(cli_reader *r, cli_docs *batch, size_t max, openmed_error *err);
void cli_reader_close(cli_reader *r);

/* OK for standard input ("-"), a regular file or a folder; a FIFO, socket or device fails with
 * OPENMED_ERR_INVALID_ARGUMENT naming the path and what it is, a missing path with
 * OPENMED_ERR_NOT_FOUND. */
openmed_status cli_input_check(const char *path, openmed_error *err);

/* OK when data[0..size) is UTF-8 text without NUL bytes; else OPENMED_ERR_FORMAT naming
 * "WHAT:LINE" and the byte of the first fault. */
openmed_status cli_check_text(const char *what, const char *data, size_t size, openmed_error *err);

/* 1 when path ends in ext (".jsonl"; case ignored). */
int cli_has_ext(const char *path, const char *ext);
/* 1 when path names a folder. */
int cli_is_folder(const char *path);

#endif
