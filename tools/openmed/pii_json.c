/* pii_json.c: OpenMed's JSON shapes for PII results, shared by `openmed pii` and `openmed serve`. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "clock.h"
#include "pii_json.h"
#include "writers.h"

static int has_field(const cli_doc *doc, const char *name) { return doc && cJSON_HasObjectItem(doc->fields, name); }

/* The input's fields (never the patient key), then source and line where the input has none;
 * returns how many were written, each after ", " but the first. */
static int write_input_fields(om_strbuf *b, const cli_doc *doc) {
    int n = 0;
    if (!doc) return 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, doc->fields) {
        if (!strcmp(f->string, OM_PII_PATIENT_KEY_FIELD)) continue;
        char *v = cJSON_PrintUnformatted(f);
        om_strbuf_puts(b, n++ ? ", " : "");
        om_strbuf_json_string(b, f->string, strlen(f->string));
        om_strbuf_puts(b, ": ");
        om_strbuf_puts(b, v ? v : "null");
        cJSON_free(v);
    }
    if (doc->source && !has_field(doc, "source")) {
        om_strbuf_puts(b, n++ ? ", \"source\": " : "\"source\": ");
        om_strbuf_json_string(b, doc->source, strlen(doc->source));
    }
    if (doc->line && !has_field(doc, "line")) om_strbuf_printf(b, "%s\"line\": %zu", n++ ? ", " : "", doc->line);
    return n;
}

static void write_extract(om_strbuf *b, const cli_doc *doc, const char *text, size_t len, const char *model,
                          const openmed_deid_result *r, int compact) {
    const char *nl = compact ? "" : "\n", *in1 = compact ? "" : "  ", *sep = compact ? " " : "\n";
    om_strbuf_printf(b, "{%s", nl);
    if (doc) {
        om_strbuf_printf(b, "%s\"id\": ", in1);
        om_write_doc_id(b, doc);
        om_strbuf_printf(b, ",%s", sep);
    }
    om_strbuf_printf(b, "%s\"text\": ", in1);
    om_strbuf_json_string(b, text, len);
    om_strbuf_printf(b, ",%s%s\"model\": ", sep, in1);
    om_strbuf_json_string(b, model, strlen(model));
    om_strbuf_printf(b, ",%s%s\"entities\": [", sep, in1);
    for (size_t i = 0; i < r->n_entities; i++) {
        const openmed_pii_entity *e = &r->entities[i];
        om_strbuf_printf(b, "%s%s{\"text\": ", i ? "," : "", compact ? (i ? " " : "") : "\n    ");
        om_strbuf_json_string(b, e->text, strlen(e->text));
        om_strbuf_puts(b, ", \"label\": ");
        om_strbuf_json_string(b, e->label, strlen(e->label));
        om_strbuf_printf(b, ", \"start\": %lld, \"end\": %lld, \"confidence\": ", (long long)e->start, (long long)e->end);
        om_strbuf_float(b, e->confidence);
        om_strbuf_printf(b, ", \"source\": \"%s\", \"hipaa_class\": \"%s\"}", e->source, e->hipaa_class);
    }
    om_strbuf_printf(b, "%s],%s%s\"num_entities\": %zu", r->n_entities && !compact ? "\n  " : "", sep, in1, r->n_entities);
    if (doc) {
        om_strbuf_printf(b, ",%s%s\"metadata\": {", sep, in1);
        write_input_fields(b, doc);
        om_strbuf_puts(b, "}");
    }
    om_strbuf_printf(b, "%s}\n", nl);
}

/* {text, model, entities, num_entities}: OpenMed's `pii extract` JSON (+ each entity's source). */
void om_pii_write_extract_json(om_strbuf *b, const char *text, size_t len, const char *model,
                               const openmed_deid_result *r) {
    write_extract(b, NULL, text, len, model, r, 0);
}

void om_pii_write_extract_doc(om_strbuf *b, const cli_doc *doc, const char *model, const openmed_deid_result *r,
                              int compact) {
    write_extract(b, doc, doc->text, strlen(doc->text), model, r, compact);
}

void om_pii_write_deid_json(om_strbuf *b, const cli_doc *doc, const char *text, size_t len, const char *model,
                            const openmed_deid_options *o, const openmed_deid_result *r, int compact) {
    const char *nl = compact ? "" : "\n", *in1 = compact ? "" : "  ", *in2 = compact ? "" : "    ";
    char stamp[64];
    cli_iso_timestamp(stamp, sizeof stamp);
    om_strbuf_printf(b, "{%s", nl);
    if (doc) {
        om_strbuf_printf(b, "%s\"id\": ", in1);
        om_write_doc_id(b, doc);
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
    om_strbuf_printf(b, "%s\"metadata\": {", in1);
    int n = write_input_fields(b, doc);
#define META(name) (!has_field(doc, name) && (om_strbuf_puts(b, n++ ? ", \"" name "\": " : "\"" name "\": "), 1))
    if (META("model")) om_strbuf_json_string(b, model, strlen(model));
    if (META("confidence_threshold")) om_strbuf_float(b, r->confidence_threshold);
    if (META("safety_sweep")) om_strbuf_puts(b, r->safety_sweep ? "true" : "false");
    if (o->policy && META("policy")) om_strbuf_printf(b, "\"%s\"", openmed_policy_name(o->policy));
    if (META("key")) om_strbuf_printf(b, "\"%s\"", r->random_key ? "random (this run only)" : o->secret ? "given" : "none");
    if ((r->method == OPENMED_DEID_SHIFT_DATES || r->date_shift_days) && META("date_shift_days"))
        om_strbuf_printf(b, "%d", r->date_shift_days);
#undef META
    om_strbuf_printf(b, "}%s}\n", nl);
}
