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

/* OpenMed's DeidentificationResult.to_dict(); original_text and mapping only with keep_mapping. */
void om_pii_write_deid_json(om_strbuf *b, const char *text, size_t len, const char *model, float threshold,
                            int sweep, int keep_mapping, const openmed_deid_result *r);

#endif
