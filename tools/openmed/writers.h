/* writers.h: pipeline results as text: Hugging Face's raw list of dicts, OpenMed's
 * AnalyzeResult.to_dict() JSON (pretty or one line), CSV rows and an HTML page with highlights.
 * Writers append to an om_strbuf; the caller decides where the bytes go. */
#ifndef OPENMED_CLI_WRITERS_H
#define OPENMED_CLI_WRITERS_H

#include "openmed.h"
#include "strbuf.h"

/* What OpenMed's result carries besides the entities. */
typedef struct om_result_info {
    const char *model_name;
    const char *timestamp;   /* ISO 8601 local time, as Python's datetime.now().isoformat() */
    double processing_time;  /* seconds */
    int stride;              /* -1 = none */
} om_result_info;

/* One line: the list of dicts HF's pipeline returns for one text ({entity_group|entity, score,
 * [index,] word, start, end}), then "\n". */
void om_write_raw(om_strbuf *out, const openmed_result *r);

/* OpenMed's AnalyzeResult.to_dict(): {text, entities: [{text, label, confidence, start, end,
 * metadata}], model_name, timestamp, processing_time, metadata}. Entity text is the slice of the
 * text, labels lose their "B-"/"I-" like OpenMed's formatter. indent 0 = one line. Fails only on
 * invalid UTF-8 in text. */
openmed_status om_write_analyze_json(om_strbuf *out, const char *text, const openmed_result *r,
                                     const om_result_info *info, int indent, openmed_error *err);

/* CSV (RFC 4180): the header line, then one row per entity of text number `text_index`. */
void om_write_csv_header(om_strbuf *out);
openmed_status om_write_csv_rows(om_strbuf *out, size_t text_index, const char *text, const openmed_result *r,
                                 const om_result_info *info, openmed_error *err);

/* HTML: a page header, one <div class="openmed-result"> per text (escaped text with
 * <span class="entity entity-LABEL"> highlights and a summary list), the page end. */
void om_write_html_begin(om_strbuf *out);
openmed_status om_write_html_result(om_strbuf *out, const char *text, const openmed_result *r,
                                    const om_result_info *info, openmed_error *err);
void om_write_html_end(om_strbuf *out);

/* OpenMed's label for output: every "B-" and "I-" removed (a substring replace, as OpenMed). */
void om_output_label(const char *label, char *out, size_t size);

#endif
