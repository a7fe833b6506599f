/* serve_endpoints.c: the JSON endpoints of `openmed serve`: request fields checked by name, the
 * library called under the model's lock, OpenMed's result JSON written back. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "clock.h"
#include "pii_json.h"
#include "writers.h"
#include "serve.h"

int om_serve_error(om_strbuf *out, int status, const char *message) {
    out->len = 0;
    om_strbuf_puts(out, "{\"detail\": ");
    om_strbuf_json_string(out, message, strlen(message));
    om_strbuf_puts(out, "}\n");
    return status;
}

int om_serve_health(const om_serve_models *m, om_strbuf *out) {
    om_strbuf_puts(out, "{\"status\": \"ok\", \"service\": \"openmed\", \"version\": ");
    om_strbuf_json_string(out, openmed_version(), strlen(openmed_version()));
    om_strbuf_puts(out, ", \"models\": {\"analyze\": {\"path\": ");
    om_strbuf_json_string(out, m->analyze_path, strlen(m->analyze_path));
    om_strbuf_printf(out, ", \"device\": \"%s\"}, \"pii\": {\"path\": ", openmed_model_device(m->analyze));
    om_strbuf_json_string(out, m->pii_path, strlen(m->pii_path));
    om_strbuf_printf(out, ", \"device\": \"%s\"}}}\n", openmed_model_device(m->pii));
    return 200;
}

/* 1 if s[0..n) is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
static int utf8_valid(const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k = (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : 0;
        if (!k || (k == 1 && c < 0xC2) || (k == 3 && c > 0xF4) || i + k >= n) return 0;
        for (size_t j = 1; j <= k; j++)
            if ((s[i + j] & 0xC0) != 0x80) return 0;
        if (k == 2 && ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] >= 0xA0))) return 0;
        if (k == 3 && ((c == 0xF0 && s[i + 1] < 0x90) || (c == 0xF4 && s[i + 1] >= 0x90))) return 0;
        i += k + 1;
    }
    return 1;
}

/* The parsed body, or an error response (400 for bad JSON or UTF-8, 422 for a non-object). */
static cJSON *parse_body(const char *body, size_t len, om_strbuf *out, int *status) {
    if (!utf8_valid((const unsigned char *)body, len)) {
        *status = om_serve_error(out, 400, "request body is not valid UTF-8");
        return NULL;
    }
    cJSON *j = cJSON_ParseWithLength(body, len);
    if (!j) {
        *status = om_serve_error(out, 400, "request body is not valid JSON");
        return NULL;
    }
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        *status = om_serve_error(out, 422, "request body must be a JSON object");
        return NULL;
    }
    return j;
}

/* The required non-empty "text" field, or NULL with a 422 response. */
static const char *text_field(const cJSON *j, om_strbuf *out, int *status) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "text");
    if (!cJSON_IsString(t)) {
        *status = om_serve_error(out, 422, t ? "field 'text' must be a string" : "field 'text' is required");
        return NULL;
    }
    if (!t->valuestring[0]) {
        *status = om_serve_error(out, 422, "field 'text' must not be empty");
        return NULL;
    }
    return t->valuestring;
}

/* An optional number in [0, 1] (null = the default); 0 with a 422 response when wrong. */
static int threshold_field(const cJSON *j, float *value, om_strbuf *out, int *status) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, "confidence_threshold");
    if (!x || cJSON_IsNull(x)) return 1;
    if (!cJSON_IsNumber(x) || !(x->valuedouble >= 0.0 && x->valuedouble <= 1.0)) {
        *status = om_serve_error(out, 422, "field 'confidence_threshold' must be a number in [0, 1]");
        return 0;
    }
    *value = (float)x->valuedouble;
    return 1;
}

/* An optional boolean (null = the default); 0 with a 422 response naming it when wrong. */
static int bool_field(const cJSON *j, const char *name, int *value, om_strbuf *out, int *status) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, name);
    if (!x || cJSON_IsNull(x)) return 1;
    if (!cJSON_IsBool(x)) {
        char msg[128];
        snprintf(msg, sizeof msg, "field '%s' must be true or false", name);
        *status = om_serve_error(out, 422, msg);
        return 0;
    }
    *value = cJSON_IsTrue(x);
    return 1;
}

int om_serve_analyze(om_serve_models *m, const char *body, size_t len, om_strbuf *out) {
    int status = 200;
    cJSON *j = parse_body(body, len, out, &status);
    if (!j) return status;
    openmed_pipeline_options po;
    openmed_pipeline_options_init(&po);
    po.long_text = OPENMED_LONG_TEXT_ALL_WINDOWS; /* the whole text, as `openmed analyze` */
    po.decoder = openmed_model_default_decoder(m->analyze);
    openmed_error err = {0};
    const char *text = text_field(j, out, &status);
    const cJSON *agg = cJSON_GetObjectItemCaseSensitive(j, "aggregation_strategy");
    if (!text || !threshold_field(j, &po.threshold, out, &status)) goto done;
    if (cJSON_IsNull(agg)) po.aggregation = OPENMED_AGGREGATION_NONE;
    else if (agg && (!cJSON_IsString(agg) || openmed_aggregation_parse(agg->valuestring, &po.aggregation, &err) != OPENMED_OK)) {
        status = om_serve_error(out, 422, "field 'aggregation_strategy' must be one of simple, first, average, max or null");
        goto done;
    }
    openmed_pipeline *pipe = NULL;
    openmed_result *res = NULL;
    double t0 = cli_now_seconds();
    pthread_mutex_lock(&m->analyze_lock);
    openmed_status st = openmed_pipeline_create(m->analyze, &po, &pipe, &err);
    if (st == OPENMED_OK) st = openmed_pipeline_run(pipe, &text, 1, &res, &err);
    pthread_mutex_unlock(&m->analyze_lock);
    if (st == OPENMED_OK) {
        char stamp[64];
        cli_iso_timestamp(stamp, sizeof stamp);
        om_result_info info = {m->analyze_path, stamp, cli_now_seconds() - t0, po.stride};
        st = om_write_analyze_json(out, text, res, &info, 2, &err);
    }
    if (st != OPENMED_OK) status = om_serve_error(out, st == OPENMED_ERR_INVALID_ARGUMENT ? 422 : 500, err.message);
    if (res) openmed_results_free(res, 1);
    openmed_pipeline_free(pipe);
done:
    cJSON_Delete(j);
    return status;
}

int om_serve_pii(om_serve_models *m, int deidentify, const char *body, size_t len, om_strbuf *out) {
    int status = 200;
    cJSON *j = parse_body(body, len, out, &status);
    if (!j) return status;
    openmed_deid_options opts;
    openmed_deid_options_init(&opts);
    if (!deidentify) opts.confidence_threshold = OPENMED_PII_EXTRACT_THRESHOLD;
    openmed_error err = {0};
    int shift = 0;
    const char *text = text_field(j, out, &status);
    if (!text || !threshold_field(j, &opts.confidence_threshold, out, &status) ||
        !bool_field(j, "use_safety_sweep", &opts.safety_sweep, out, &status) ||
        (deidentify && (!bool_field(j, "keep_mapping", &opts.keep_mapping, out, &status) ||
                        !bool_field(j, "shift_dates", &shift, out, &status))))
        goto done;
    if (deidentify) {
        const cJSON *method = cJSON_GetObjectItemCaseSensitive(j, "method");
        const cJSON *days = cJSON_GetObjectItemCaseSensitive(j, "date_shift_days");
        if (method && !cJSON_IsNull(method) &&
            (!cJSON_IsString(method) || openmed_deid_method_parse(method->valuestring, &opts.method, &err) != OPENMED_OK)) {
            status = om_serve_error(out, 422, "field 'method' must be one of mask, remove, replace, hash, shift_dates");
            goto done;
        }
        if (shift) opts.method = OPENMED_DEID_SHIFT_DATES;
        if (days && !cJSON_IsNull(days)) {
            double d = cJSON_IsNumber(days) ? days->valuedouble : 0;
            if (d != (double)(int)d || d == 0 || d < -36500 || d > 36500) {
                status = om_serve_error(out, 422, "field 'date_shift_days' must be a non-zero whole number in [-36500, 36500]");
                goto done;
            }
            if (opts.method != OPENMED_DEID_SHIFT_DATES) {
                status = om_serve_error(out, 422, "field 'date_shift_days' needs method shift_dates");
                goto done;
            }
            opts.date_shift_days = (int)d;
        }
    }
    size_t n = strlen(text);
    openmed_deid_result *r = NULL;
    pthread_mutex_lock(&m->pii_lock);
    openmed_status st = deidentify ? openmed_deidentify(m->pii, text, n, &opts, &r, &err)
                                   : openmed_pii_extract(m->pii, text, n, &opts, &r, &err);
    pthread_mutex_unlock(&m->pii_lock);
    if (st != OPENMED_OK) status = om_serve_error(out, st == OPENMED_ERR_INVALID_ARGUMENT ? 422 : 500, err.message);
    else if (deidentify)
        om_pii_write_deid_json(out, NULL, text, n, m->pii_path, &opts, r, 0);
    else om_pii_write_extract_json(out, text, n, m->pii_path, r);
    openmed_deid_result_free(r);
done:
    cJSON_Delete(j);
    return status;
}
