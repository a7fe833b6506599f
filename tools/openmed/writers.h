/* writers.h: analysis results as text, every format naming its document: Hugging Face's raw list
 * of dicts, OpenMed's AnalyzeResult.to_dict() JSON (pretty or one line), CSV rows and one HTML
 * page. Writers append to an om_strbuf; the caller decides where the bytes go. */
#ifndef OPENMED_CLI_WRITERS_H
#define OPENMED_CLI_WRITERS_H

#include "inputs.h"
#include "openmed.h"
#include "strbuf.h"

/* What OpenMed's result carries besides the entities. */
typedef struct om_result_info {
    const char *model_name;  /* the registry name, repo id or path the user gave */
    const char *timestamp;   /* ISO 8601 local time, as Python's datetime.now().isoformat() */
    double processing_time;  /* seconds */
    openmed_aggregation aggregation;
} om_result_info;

/* The document's id as the input gave it: a JSON string, or a jsonl number as a number. */
void om_write_doc_id(om_strbuf *out, const cli_doc *doc);

/* `, "metadata": {the input's other fields}` on one line, or nothing when the document has none. */
void om_write_doc_fields(om_strbuf *out, const cli_doc *doc);

/* One CSV field, quoted (RFC 4180) when it holds a quote, comma or line break. */
void om_csv_field(om_strbuf *out, const char *s, size_t n);

/* The list of dicts HF's pipeline returns for one text ({entity_group|entity, score, [index,] word,
 * start, end}), then "\n". With doc not NULL: {"id": ID, "entities": [the list]} on one line, with
 * "metadata": {the input's other fields} after the list when the document has any. */
void om_write_raw(om_strbuf *out, const cli_doc *doc, const openmed_result *r);

/* OpenMed's AnalyzeResult.to_dict() with the document's id first: {id, text, entities: [{text,
 * label, confidence, start, end, metadata: {sentence_index, sentence_text, sentence_start,
 * sentence_end}}], model_name, timestamp, processing_time, metadata: {the input's other fields,
 * source, line, sentence_detection, sentence_count, sentence_language, max_length,
 * medical_tokenizer, aggregation_strategy, num_chunks, num_tokens, num_windows, text_length}}.
 * doc->id NULL: no "id" (the service's replies). indent 0 = one line. */
openmed_status om_write_analysis_json(om_strbuf *out, const cli_doc *doc, const openmed_analysis *a,
                                      const om_result_info *info, int indent, openmed_error *err);

/* CSV (RFC 4180): the header line, then one row per entity: id, the input's other fields (one column
 * per name in field_names, a JSON array of strings such as cli_reader_field_names gives; a name that
 * is one of the other columns becomes "input_NAME"; a field a document lacks is an empty cell), text,
 * label, confidence, start, end, sentence_index, model_name, timestamp, processing_time. A document
 * without entities gets one row with the entity cells empty, so every document is named. */
void om_write_csv_header(om_strbuf *out, const cJSON *field_names);
void om_write_csv_rows(om_strbuf *out, const cJSON *field_names, const cli_doc *doc, const openmed_analysis *a,
                       const om_result_info *info);

/* One HTML page for any number of documents: the model's name and totals, a legend of the labels
 * found (one colour each, with counts), then each document under its id (with the input's other
 * fields as name-value pairs) with its text as written (line breaks kept) and the entities
 * highlighted. Documents are added one by one and the page is
 * written at the end, when the legend is known. */
typedef struct om_html_page {
    om_strbuf body;     /* the documents' sections */
    char **labels;      /* in order of first appearance: label i has colour i */
    size_t *counts;
    size_t n_labels, n_docs, n_entities;
} om_html_page;

void om_html_page_init(om_html_page *page);
openmed_status om_html_page_add(om_html_page *page, const cli_doc *doc, const openmed_analysis *a, openmed_error *err);
/* The whole page into out. */
void om_html_page_write(const om_html_page *page, const om_result_info *info, om_strbuf *out);
void om_html_page_free(om_html_page *page);

#endif
