/* pii_reidentify.h: `openmed pii reidentify`: de-identified texts back to their originals from a
 * mapping {placeholder: original}, over the documents of the CLI's input layer (inputs.h). */
#ifndef OM_CLI_PII_REIDENTIFY_H
#define OM_CLI_PII_REIDENTIFY_H

#include <stddef.h>

#include "inputs.h"

typedef struct pii_reid {
    const char *mapping_path;  /* --mapping: a deidentify --keep-mapping result or a bare
                                  {placeholder: original} object, for every document; NULL: each
                                  record's own "mapping" field */
    const cli_input *inputs;   /* none: the --mapping result's own deidentified_text */
    size_t n_inputs;
    cli_input_options in;      /* --lines, --text-field (default "deidentified_text"), --id-field */
    const char *output;        /* a file, or NULL/"-" for standard output */
    int quiet;                 /* no progress line */
} pii_reid;

/* One document (a TEXT, -, a text file, or the result's own text) gives its restored text as is.
 * Many (several inputs, a folder, a .jsonl/.csv file, --lines) give a JSON line each: {"id", "text":
 * the restored text, "metadata": the record's other fields} (the mapping not repeated); a record's
 * "mapping" field (an object, or a CSV column holding one as JSON) is used where --mapping is not
 * given. A document that fails is reported on stderr by id, never with its text, and recorded as
 * {"id", "error"}; the rest go on. Returns the exit code: 0, 1 when a document failed or the output
 * could not be written, 2 for a usage error. */
int pii_reidentify_run(const pii_reid *r);

#endif
