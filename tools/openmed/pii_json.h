/* pii_json.h: OpenMed's JSON shapes for PII results, shared by `openmed pii` and `openmed serve`. */
#ifndef OM_PII_JSON_H
#define OM_PII_JSON_H

#include <stddef.h>

#include "openmed.h"
#include "strbuf.h"

/* {text, model, entities: [{text, label, start, end, confidence, source}], num_entities}:
 * OpenMed's `pii extract` JSON (+ each entity's source). */
void om_pii_write_extract_json(om_strbuf *b, const char *text, size_t len, const char *model,
                               const openmed_deid_result *r);

/* OpenMed's DeidentificationResult.to_dict() (+ each entity's source, action and HIPAA class, and the
 * policy and key in metadata); original_text and mapping only with keep_mapping. `id` (NULL for
 * none) is written first; `compact` writes one line (JSONL). */
void om_pii_write_deid_json(om_strbuf *b, const char *id, const char *text, size_t len, const char *model,
                            const openmed_deid_options *options, const openmed_deid_result *r, int compact);

#endif
