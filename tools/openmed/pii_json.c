/* pii_json.c: OpenMed's JSON shapes for PII results, shared by `openmed pii` and `openmed serve`. */
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "clock.h"
#include "pii_json.h"

static void json_key_string(om_strbuf *b, const char *indent, const char *key, const char *value, int comma) {
    om_strbuf_printf(b, "%s\"%s\": ", indent, key);
    om_strbuf_json_string(b, value, strlen(value));
    om_strbuf_puts(b, comma ? ",\n" : "\n");
}

/* {text, model, entities, num_entities}: OpenMed's `pii extract` JSON (+ each entity's source). */
void om_pii_write_extract_json(om_strbuf *b, const char *text, size_t len, const char *model,
                               const openmed_deid_result *r) {
    om_strbuf_puts(b, "{\n  \"text\": ");
    om_strbuf_json_string(b, text, len);
    om_strbuf_puts(b, ",\n");
    json_key_string(b, "  ", "model", model, 1);
    om_strbuf_puts(b, "  \"entities\": [");
    for (size_t i = 0; i < r->n_entities; i++) {
        const openmed_pii_entity *e = &r->entities[i];
        om_strbuf_puts(b, i ? ",\n    {\"text\": " : "\n    {\"text\": ");
        om_strbuf_json_string(b, e->text, strlen(e->text));
        om_strbuf_puts(b, ", \"label\": ");
        om_strbuf_json_string(b, e->label, strlen(e->label));
        om_strbuf_printf(b, ", \"start\": %lld, \"end\": %lld, \"confidence\": ", (long long)e->start, (long long)e->end);
        om_strbuf_float(b, e->confidence);
        om_strbuf_printf(b, ", \"source\": \"%s\"}", e->source);
    }
    om_strbuf_printf(b, "%s],\n  \"num_entities\": %zu\n}\n", r->n_entities ? "\n  " : "", r->n_entities);
}

/* OpenMed's DeidentificationResult.to_dict(); the original text and values only with keep_mapping. */
void om_pii_write_deid_json(om_strbuf *b, const char *text, size_t len, const char *model, float threshold,
                            int sweep, int keep_mapping, const openmed_deid_result *r) {
    char stamp[64];
    cli_iso_timestamp(stamp, sizeof stamp);
    om_strbuf_puts(b, "{\n");
    if (keep_mapping) {
        om_strbuf_puts(b, "  \"original_text\": ");
        om_strbuf_json_string(b, text, len);
        om_strbuf_puts(b, ",\n");
    }
    om_strbuf_puts(b, "  \"deidentified_text\": ");
    om_strbuf_json_string(b, r->deidentified_text, r->deidentified_len);
    om_strbuf_puts(b, ",\n  \"pii_entities\": [");
    for (size_t i = 0; i < r->n_entities; i++) {
        const openmed_pii_entity *e = &r->entities[i];
        om_strbuf_puts(b, i ? ",\n    {\"label\": " : "\n    {\"label\": ");
        om_strbuf_json_string(b, e->label, strlen(e->label));
        om_strbuf_puts(b, ", \"entity_type\": ");
        om_strbuf_json_string(b, e->label, strlen(e->label));
        om_strbuf_printf(b, ", \"start\": %lld, \"end\": %lld, \"confidence\": ", (long long)e->start, (long long)e->end);
        om_strbuf_float(b, e->confidence);
        om_strbuf_puts(b, ", \"redacted_text\": ");
        om_strbuf_json_string(b, e->redacted_text, strlen(e->redacted_text));
        om_strbuf_printf(b, ", \"source\": \"%s\"}", e->source);
    }
    om_strbuf_printf(b, "%s],\n", r->n_entities ? "\n  " : "");
    json_key_string(b, "  ", "method", openmed_deid_method_name(r->method), 1);
    json_key_string(b, "  ", "timestamp", stamp, 1);
    om_strbuf_printf(b, "  \"num_entities_redacted\": %zu,\n", r->n_entities);
    if (keep_mapping) {
        om_strbuf_puts(b, "  \"mapping\": {");
        for (size_t i = 0; i < r->n_mapping; i++) {
            om_strbuf_puts(b, i ? ",\n    " : "\n    ");
            om_strbuf_json_string(b, r->mapping[i].redacted, strlen(r->mapping[i].redacted));
            om_strbuf_puts(b, ": ");
            om_strbuf_json_string(b, r->mapping[i].original, strlen(r->mapping[i].original));
        }
        om_strbuf_printf(b, "%s},\n", r->n_mapping ? "\n  " : "");
    }
    om_strbuf_puts(b, "  \"metadata\": {\"model\": ");
    om_strbuf_json_string(b, model, strlen(model));
    om_strbuf_puts(b, ", \"confidence_threshold\": ");
    om_strbuf_float(b, threshold);
    om_strbuf_printf(b, ", \"safety_sweep\": %s", sweep ? "true" : "false");
    if (r->method == OPENMED_DEID_SHIFT_DATES) om_strbuf_printf(b, ", \"date_shift_days\": %d", r->date_shift_days);
    om_strbuf_puts(b, "}\n}\n");
}

