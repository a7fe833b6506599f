/* text_inputs.h: reading the texts to analyze from a file: .txt (one text per line), .jsonl
 * ({"text": ...} per line) or .csv (a header line, one text per row from a named column). */
#ifndef OPENMED_CLI_TEXT_INPUTS_H
#define OPENMED_CLI_TEXT_INPUTS_H

#include <stddef.h>

#include "openmed.h"

typedef struct om_text_list {
    char **texts; /* [n], owned, NUL-terminated */
    size_t n;
} om_text_list;

/* Read `path` by its extension. `field` is the JSON key (.jsonl) or column name (.csv); NULL means
 * "text". Errors name the file, line and what is wrong (missing key, bad JSON, bad quoting). */
openmed_status om_read_texts(const char *path, const char *field, om_text_list *out, openmed_error *err);
void om_text_list_free(om_text_list *list);

#endif
