/* pii_json.h: OpenMed's JSON shapes for PII results, shared by `openmed pii` and `openmed serve`. */
#ifndef OM_PII_JSON_H
#define OM_PII_JSON_H

#include <stddef.h>

#include "inputs.h"
#include "openmed.h"
#include "strbuf.h"

/* {text, model, entities: [{text, label, start, end, confidence, source}], num_entities}:
 * OpenMed's `pii extract` JSON (+ each entity's source). */
void om_pii_write_extract_json(om_strbuf *b, const char *text, size_t len, const char *model,
                               const openmed_deid_result *r);

/* The same for a document of a batch: {id, text, model, entities, num_entities, metadata: {the
 * input's other fields, source, line}}; `compact` writes one line (JSONL). */
void om_pii_write_extract_doc(om_strbuf *b, const cli_doc *doc, const char *model, const openmed_deid_result *r,
                              int compact);

/* OpenMed's DeidentificationResult.to_dict() (+ each entity's source, action and HIPAA class, and the
 * policy and key in metadata); original_text and mapping only with keep_mapping. With `doc` (NULL
 * for none) its id comes first (a number stays a number) and metadata starts with the input's other
 * fields, source and line, the engine's keys following where the input has none of that name;
 * a `patient_key` field is used for date shifts, never written. `compact` writes one line (JSONL). */
void om_pii_write_deid_json(om_strbuf *b, const cli_doc *doc, const char *text, size_t len, const char *model,
                            const openmed_deid_options *options, const openmed_deid_result *r, int compact);

/* The input field that keys a patient's date shift; read, never written to an output. */
#define OM_PII_PATIENT_KEY_FIELD "patient_key"

#endif
