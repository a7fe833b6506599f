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
        om_strbuf_printf(b, ", \"source\": \"%s\", \"hipaa_class\": \"%s\"}", e->source, e->hipaa_class);
    }
    om_strbuf_printf(b, "%s],\n  \"num_entities\": %zu\n}\n", r->n_entities ? "\n  " : "", r->n_entities);
}

void om_pii_write_deid_json(om_strbuf *b, const char *id, const char *text, size_t len, const char *model,
                            const openmed_deid_options *o, const openmed_deid_result *r, int compact) {
    const char *nl = compact ? "" : "\n", *in1 = compact ? "" : "  ", *in2 = compact ? "" : "    ";
    char stamp[64];
    cli_iso_timestamp(stamp, sizeof stamp);
    om_strbuf_printf(b, "{%s", nl);
    if (id) {
        om_strbuf_printf(b, "%s\"id\": ", in1);
        om_strbuf_json_string(b, id, strlen(id));
        om_strbuf_printf(b, ",%s", compact ? " " : nl);
    }
    if (o->keep_mapping) {
        om_strbuf_printf(b, "%s\"original_text\": ", in1);
        om_strbuf_json_string(b, text, len);
        om_strbuf_printf(b, ",%s", compact ? " " : nl);
    }
    om_strbuf_printf(b, "%s\"deidentified_text\": ", in1);
    om_strbuf_json_string(b, r->deidentified_text, r->deidentified_len);
    om_strbuf_printf(b, ",%s%s\"pii_entities\": [", compact ? " " : nl, in1);
    for (size_t i = 0; i < r->n_entities; i++) {
        const openmed_pii_entity *e = &r->entities[i];
        om_strbuf_printf(b, "%s%s%s{\"label\": ", i ? "," : "", compact ? (i ? " " : "") : nl, in2);
        om_strbuf_json_string(b, e->label, strlen(e->label));
        om_strbuf_puts(b, ", \"entity_type\": ");
        om_strbuf_json_string(b, e->label, strlen(e->label));
        om_strbuf_printf(b, ", \"start\": %lld, \"end\": %lld, \"confidence\": ", (long long)e->start, (long long)e->end);
        om_strbuf_float(b, e->confidence);
        om_strbuf_puts(b, ", \"redacted_text\": ");
        om_strbuf_json_string(b, e->redacted_text, strlen(e->redacted_text));
        om_strbuf_printf(b, ", \"action\": \"%s\", \"hipaa_class\": \"%s\", \"source\": \"%s\"}", e->action,
                         e->hipaa_class, e->source);
    }
    om_strbuf_printf(b, "%s],%s", r->n_entities && !compact ? "\n  " : "", compact ? " " : nl);
    om_strbuf_printf(b, "%s\"method\": \"%s\",%s", in1, openmed_deid_method_name(r->method), compact ? " " : nl);
    om_strbuf_printf(b, "%s\"timestamp\": \"%s\",%s", in1, stamp, compact ? " " : nl);
    om_strbuf_printf(b, "%s\"num_entities_redacted\": %zu,%s", in1, r->n_entities, compact ? " " : nl);
    if (o->keep_mapping) {
        om_strbuf_printf(b, "%s\"mapping\": {", in1);
        for (size_t i = 0; i < r->n_mapping; i++) {
            om_strbuf_printf(b, "%s%s%s", i ? "," : "", compact ? (i ? " " : "") : nl, in2);
            om_strbuf_json_string(b, r->mapping[i].redacted, strlen(r->mapping[i].redacted));
            om_strbuf_puts(b, ": ");
            om_strbuf_json_string(b, r->mapping[i].original, strlen(r->mapping[i].original));
        }
        om_strbuf_printf(b, "%s},%s", r->n_mapping && !compact ? "\n  " : "", compact ? " " : nl);
    }
    om_strbuf_printf(b, "%s\"metadata\": {\"model\": ", in1);
    om_strbuf_json_string(b, model, strlen(model));
    om_strbuf_puts(b, ", \"confidence_threshold\": ");
    om_strbuf_float(b, r->confidence_threshold);
    om_strbuf_printf(b, ", \"safety_sweep\": %s", r->safety_sweep ? "true" : "false");
    if (o->policy) om_strbuf_printf(b, ", \"policy\": \"%s\"", openmed_policy_name(o->policy));
    om_strbuf_printf(b, ", \"key\": \"%s\"", r->random_key ? "random (this run only)" : o->secret ? "given" : "none");
    if (r->method == OPENMED_DEID_SHIFT_DATES || r->date_shift_days)
        om_strbuf_printf(b, ", \"date_shift_days\": %d", r->date_shift_days);
    om_strbuf_printf(b, "}%s}\n", nl);
}
