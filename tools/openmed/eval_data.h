/* eval_data.h: gold data for `openmed eval`: CoNLL token/tag files and span JSONL files read into
 * texts with gold entity spans. */
#ifndef OPENMED_CLI_EVAL_DATA_H
#define OPENMED_CLI_EVAL_DATA_H

#include <stddef.h>

#include "openmed.h"
#include "eval_metrics.h"
#include "inputs.h"

typedef struct om_eval_doc {
    char *text;          /* UTF-8 */
    om_eval_span *spans; /* gold entities; labels owned by the doc */
    size_t n_spans;
} om_eval_doc;

typedef struct om_eval_docs {
    om_eval_doc *docs;
    size_t n, capacity;
} om_eval_docs;

void om_eval_docs_free(om_eval_docs *docs);

/* CoNLL (path "-": standard input): `token<TAB>tag` per line (extra tab-separated columns ignored; the tag is the last),
 * blank lines between sentences. A sentence's text is its tokens joined by single spaces; tags are
 * BIO (B-X starts an entity, I-X continues one of type X or starts one, O is outside), offsets in
 * code points. Errors name the file and line. */
openmed_status om_eval_read_conll(const char *path, om_eval_docs *out, openmed_error *err);

/* Span gold read by the CLI's input layer (inputs.h): a .jsonl file of {"text": "...", "spans":
 * [{"start": s, "end": e, "label": "..."}]} records (blank lines skipped), a .csv file whose
 * "spans" column holds that array as JSON, a folder of such files, or "-": JSON lines on standard
 * input; [start, end) in code points of
 * the text; a record without "spans" has no gold entities. `o` may name another text field
 * (o->text_field); NULL for the defaults. Errors name the file, line and field. */
openmed_status om_eval_read_spans(const char *path, const cli_input_options *o, om_eval_docs *out, openmed_error *err);

#endif
