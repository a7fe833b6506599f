/* test_serve_request.c: the request bodies of `openmed serve` without a server (serve_request.c):
 * strict JSON (every malformation is a 400 with its code, every valid form passes), each route's
 * fields and defaults, the limits, and 20,000 mutated bodies that must each be accepted or refused
 * cleanly (the sanitizer run catches the rest), with no error ever repeating the text. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "serve_request.h"

static int parse(om_request_kind kind, const char *body, size_t len, om_serve_request *r, om_request_error *e) {
    static const om_request_limits lim = {20, 3};
    return om_serve_request_parse(kind, body, len ? len : strlen(body), &lim, r, e);
}

/* The body is refused with this status and code. */
static void refused(om_request_kind kind, const char *body, size_t len, int status, const char *code) {
    om_serve_request r;
    om_request_error e;
    int rc = parse(kind, body, len, &r, &e);
    CHECK_MSG(rc == -1 && e.status == status && !strcmp(e.code, code), "'%s': rc %d status %d code %s (%s)", body, rc,
              e.status, rc ? e.code : "-", rc ? e.message : "");
    CHECK_MSG(!strstr(e.message, "secret") && !strstr(e.field, "secret"), "'%s': the error repeats the text", body);
    if (rc == 0) om_serve_request_free(&r);
}

static void accepted(om_request_kind kind, const char *body) {
    om_serve_request r;
    om_request_error e;
    int rc = parse(kind, body, 0, &r, &e);
    CHECK_MSG(rc == 0, "'%s' refused: %d %s", body, e.status, e.message);
    if (rc == 0) om_serve_request_free(&r);
}

static unsigned long long rng = 88172645463325252ull;
static unsigned next_rand(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)rng;
}

int main(void) {
    om_serve_request r;
    om_request_error e;

    /* ---- fields and defaults */
    CHECK_INT(parse(OM_REQ_ANALYZE, "{\"text\": \"cystic fibrosis\"}", 0, &r, &e), 0);
    CHECK_INT(r.n_texts, 1);
    CHECK_STR(r.texts[0], "cystic fibrosis");
    CHECK_INT(r.text_lens[0], 15);
    CHECK(r.model_name == NULL && r.aggregation == OPENMED_AGGREGATION_SIMPLE && r.analyze_threshold == 0.0f);
    om_serve_request_free(&r);
    CHECK_INT(parse(OM_REQ_ANALYZE, "{\"text\": \"a\\u00e9\\ud83d\\ude00\\\"\\/\", \"aggregation_strategy\": null, "
                                    "\"confidence_threshold\": 0.25, \"model_name\": \"disease_detection_tiny\", "
                                    "\"sentence_detection\": false, \"keep_alive\": \"5m\"}", 0, &r, &e), 0);
    CHECK_STR(r.texts[0], "a\xc3\xa9\xf0\x9f\x98\x80\"/");
    CHECK(r.aggregation == OPENMED_AGGREGATION_NONE && r.analyze_threshold == 0.25f);
    CHECK_STR(r.model_name, "disease_detection_tiny");
    om_serve_request_free(&r);
    CHECK_INT(parse(OM_REQ_PII_EXTRACT, "{\"text\": \"x\", \"lang\": \"de\"}", 0, &r, &e), 0);
    CHECK(r.deid.confidence_threshold == OPENMED_PII_EXTRACT_THRESHOLD && !strcmp(r.lang, "de") && r.deid.safety_sweep);
    om_serve_request_free(&r);
    CHECK_INT(parse(OM_REQ_PII_DEIDENTIFY, "{\"text\": \"x\", \"shift_dates\": true, \"date_shift_days\": -30, "
                                           "\"keep_mapping\": true, \"use_safety_sweep\": false}", 0, &r, &e), 0);
    CHECK(r.deid.method == OPENMED_DEID_SHIFT_DATES && r.deid.date_shift_days == -30 && r.deid.keep_mapping &&
          !r.deid.safety_sweep && r.deid.confidence_threshold == OPENMED_DEIDENTIFY_THRESHOLD);
    om_serve_request_free(&r);
    /* every option of `openmed pii deidentify` but the key (the server's) and a policy file */
    CHECK_INT(parse(OM_REQ_PII_DEIDENTIFY, "{\"text\": \"x\", \"method\": \"format_preserve\", \"keep_year\": true, "
                                           "\"policy\": \"strict\", \"deny_list\": [\"Acme\", \"Zed\"], \"allow_list\": "
                                           "[\"Boston\"], \"protect_clinical_terms\": false}", 0, &r, &e), 0);
    CHECK(r.deid.method == OPENMED_DEID_FORMAT_PRESERVE && r.deid.keep_year && r.policy == 1 && !r.threshold_given &&
          !r.deid.protect_clinical_terms && !r.deid.secret && !r.deid.policy);
    CHECK(r.deid.n_deny_list == 2 && !strcmp(r.deid.deny_list[1], "Zed") && r.deid.n_allow_list == 1 &&
          !strcmp(r.deid.allow_list[0], "Boston"));
    CHECK_STR(om_serve_policy_names[r.policy], "strict");
    om_serve_request_free(&r);
    CHECK_INT(parse(OM_REQ_PII_DEIDENTIFY, "{\"text\": \"x\", \"method\": \"shift_dates\", \"patient_key\": \"p-1\", "
                                           "\"date_shift_max_days\": 30, \"confidence_threshold\": 0.6}", 0, &r, &e), 0);
    CHECK(r.deid.patient_key && !strcmp(r.deid.patient_key, "p-1") && r.deid.date_shift_max_days == 30 &&
          r.threshold_given && r.policy == -1 && !r.deid.deny_list && !r.deid.allow_list);
    om_serve_request_free(&r);
    CHECK_INT(parse(OM_REQ_PII_DEIDENTIFY, "{\"text\": \"x\", \"shift_dates\": true, \"date_shift_seed\": 42}", 0, &r,
                    &e), 0);
    CHECK_STR(r.deid.date_shift_seed, "42");
    om_serve_request_free(&r);
    CHECK_INT(parse(OM_REQ_PII_DEIDENTIFY, "{\"text\": \"x\", \"policy\": \"hipaa_safe_harbor\", \"date_shift_days\": 9}",
                    0, &r, &e), 0); /* the policy decides whether dates shift (the library checks) */
    CHECK(r.policy == 0 && r.deid.date_shift_days == 9);
    om_serve_request_free(&r);
    CHECK_INT(parse(OM_REQ_PII_DEIDENTIFY_BATCH, "{\"texts\": [\"a\", \"b c\"], \"method\": \"hash\"}", 0, &r, &e), 0);
    CHECK(r.n_texts == 2 && !strcmp(r.texts[1], "b c") && r.deid.method == OPENMED_DEID_HASH);
    om_serve_request_free(&r);
    CHECK_INT(parse(OM_REQ_UNLOAD, "{\"all\": true}", 0, &r, &e), 0);
    CHECK(r.unload_all && !r.model_name);
    om_serve_request_free(&r);
    CHECK_STR(om_serve_default_pii_model("de"), "OpenMed/OpenMed-PII-German-SuperClinical-Small-44M-v1");
    CHECK(om_serve_default_pii_model("en") == NULL && om_serve_default_pii_model("gu") == NULL);

    /* ---- strict JSON: refused with 400 */
    refused(OM_REQ_ANALYZE, "{\"text\": \"secret\"", 0, 400, "invalid_json");
    refused(OM_REQ_ANALYZE, "{\"text\": \"secret\"} x", 0, 400, "invalid_json");
    refused(OM_REQ_ANALYZE, "{\"text\": \"secret\"}\n{}", 0, 400, "invalid_json");
    refused(OM_REQ_ANALYZE, "{\"text\": \"secret\",}", 0, 400, "invalid_json");
    refused(OM_REQ_ANALYZE, "{\"text\": 'secret'}", 0, 400, "invalid_json");
    refused(OM_REQ_ANALYZE, "{text: \"secret\"}", 0, 400, "invalid_json");
    refused(OM_REQ_ANALYZE, "{\"text\": \"secret\", \"confidence_threshold\": .5}", 0, 400, "invalid_json");
    refused(OM_REQ_ANALYZE, "{\"text\": \"secret\", \"confidence_threshold\": 1.}", 0, 400, "invalid_json");
    refused(OM_REQ_ANALYZE, "{\"text\": \"secret\", \"confidence_threshold\": +1}", 0, 400, "invalid_json");
    refused(OM_REQ_ANALYZE, "{\"text\": \"secret\", \"confidence_threshold\": 00}", 0, 400, "invalid_json");
    refused(OM_REQ_ANALYZE, "{\"text\": \"secret\", \"confidence_threshold\": Infinity}", 0, 400, "invalid_json");
    refused(OM_REQ_ANALYZE, "{\"text\": \"secret\", \"sentence_detection\": True}", 0, 400, "invalid_json");
    refused(OM_REQ_ANALYZE, "{\"text\": \"sec\\xret\"}", 0, 400, "invalid_json");
    refused(OM_REQ_ANALYZE, "{\"text\": \"sec\\u12ret\"}", 0, 400, "invalid_json");
    refused(OM_REQ_ANALYZE, "{\"text\": \"sec\nret\"}", 0, 400, "invalid_json");
    refused(OM_REQ_ANALYZE, "{\"text\": \"secret\"} \x00", 20, 400, "invalid_json");
    refused(OM_REQ_ANALYZE, "{\"text\": \"sec\x00ret\"}", 19, 400, "invalid_encoding");
    refused(OM_REQ_ANALYZE, "{\"text\": \"sec\\u0000ret\"}", 0, 400, "invalid_encoding");
    refused(OM_REQ_ANALYZE, "{\"text\": \"sec\\udc00ret\"}", 0, 400, "invalid_encoding");
    refused(OM_REQ_ANALYZE, "{\"text\": \"sec\\ud800ret\"}", 0, 400, "invalid_encoding");
    refused(OM_REQ_ANALYZE, "{\"text\": \"sec\\ud800\\u0041ret\"}", 0, 400, "invalid_encoding");
    refused(OM_REQ_ANALYZE, "{\"text\": \"sec\xffret\"}", 0, 400, "invalid_encoding");
    refused(OM_REQ_ANALYZE, "{\"text\": \"sec\xc3ret\"}", 0, 400, "invalid_encoding");
    refused(OM_REQ_ANALYZE, "{\"text\": \"sec\xe0\x80\xafret\"}", 0, 400, "invalid_encoding");
    refused(OM_REQ_ANALYZE, "{\"text\": \"sec\xf4\x90\x80\x80ret\"}", 0, 400, "invalid_encoding");
    refused(OM_REQ_ANALYZE, "{\"sec\xffret\": 1}", 0, 400, "invalid_encoding");
    refused(OM_REQ_ANALYZE, "{\"text\": \"secret\", \"text\": \"secret\"}", 0, 400, "duplicate_key");
    refused(OM_REQ_ANALYZE, "{\"text\": \"secret\", \"\\u0074ext\": \"x\"}", 0, 400, "duplicate_key");
    refused(OM_REQ_ANALYZE, "{\"text\": \"secret\", \"x\": {\"a\": 1, \"a\": 2}}", 0, 400, "duplicate_key");
    refused(OM_REQ_ANALYZE, "{\"text\": \"secret\", \"x\": [{\"a\": 1}, {\"b\": [{\"c\": 1, \"c\": 1}]}]}", 0, 400,
            "duplicate_key");
    refused(OM_REQ_ANALYZE, "\xef\xbb\xbf{\"text\": \"secret\"}", 0, 400, "invalid_json");
    refused(OM_REQ_ANALYZE, "", 0, 400, "invalid_json");
    refused(OM_REQ_ANALYZE, "   ", 0, 400, "invalid_json");
    char deep[200];
    for (int i = 0; i < 65; i++) deep[i] = '[', deep[65 + i] = ']';
    deep[130] = '\0';
    refused(OM_REQ_ANALYZE, deep, 0, 400, "invalid_json"); /* 65 levels */
    for (int i = 0; i < 64; i++) deep[i] = '[', deep[64 + i] = ']';
    deep[128] = '\0';
    refused(OM_REQ_ANALYZE, deep, 0, 422, "validation_error"); /* 64 levels: JSON, but not an object */

    /* ---- valid JSON forms pass the strict layer */
    accepted(OM_REQ_ANALYZE, " \t\r\n{ \"text\" : \"ok\" , \"confidence_threshold\" : 1e-1 } \n");
    accepted(OM_REQ_ANALYZE, "{\"text\": \"ok\", \"confidence_threshold\": 0}");
    accepted(OM_REQ_ANALYZE, "{\"text\": \"ok\", \"confidence_threshold\": -0.0E+0}");
    accepted(OM_REQ_ANALYZE, "{\"text\": \"\\b\\f\\n\\r\\t ok \\\\ \\/\"}");

    /* ---- fields: 422 naming the field */
    const struct {
        om_request_kind kind;
        const char *body, *field, *type;
    } bad[] = {
        {OM_REQ_ANALYZE, "{}", "body.text", "text_required"},
        {OM_REQ_ANALYZE, "{\"text\": null}", "body.text", "text_type"},
        {OM_REQ_ANALYZE, "{\"text\": \" \\n \"}", "body.text", "empty_text"},
        {OM_REQ_ANALYZE, "{\"text\": \"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
                         "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\"}",
         "body.text", "max_chars"},
        {OM_REQ_ANALYZE, "\"secret\"", "body", "model_attributes_type"},
        {OM_REQ_ANALYZE, "{\"text\": \"ok\", \"secret_field\": 1}", "body.secret_field", "extra_forbidden"},
        {OM_REQ_ANALYZE, "{\"text\": \"ok\", \"Secret Field\": 1}", "body.(a field name)", "extra_forbidden"},
        {OM_REQ_ANALYZE, "{\"text\": \"ok\", \"lang\": \"en\"}", "body.lang", "extra_forbidden"},
        {OM_REQ_ANALYZE, "{\"text\": \"ok\", \"confidence_threshold\": \"0.5\"}", "body.confidence_threshold", "range"},
        {OM_REQ_ANALYZE, "{\"text\": \"ok\", \"confidence_threshold\": 1e400}", "body.confidence_threshold", "range"},
        {OM_REQ_ANALYZE, "{\"text\": \"ok\", \"aggregation_strategy\": \"SIMPLE\"}", "body.aggregation_strategy",
         "literal_error"},
        {OM_REQ_ANALYZE, "{\"text\": \"ok\", \"model_name\": \"  \"}", "body.model_name", "model_name"},
        {OM_REQ_ANALYZE, "{\"text\": \"ok\", \"model_name\": 3}", "body.model_name", "string_type"},
        {OM_REQ_ANALYZE, "{\"text\": \"ok\", \"keep_alive\": []}", "body.keep_alive", "keep_alive"},
        {OM_REQ_ANALYZE_BATCH, "{\"texts\": \"ok\"}", "body.texts", "list_type"},
        {OM_REQ_ANALYZE_BATCH, "{\"texts\": [\"a\", \"b\", \"c\", \"d\"]}", "body.texts", "too_long"},
        {OM_REQ_ANALYZE_BATCH, "{\"texts\": [\"a\", \"\"]}", "body.texts.1", "empty_text"},
        {OM_REQ_PII_EXTRACT, "{\"text\": \"ok\", \"confidence_threshold\": null}", "body.confidence_threshold",
         "float_type"},
        {OM_REQ_PII_EXTRACT, "{\"text\": \"ok\", \"lang\": \"EN\"}", "body.lang", "unsupported_language"},
        {OM_REQ_PII_EXTRACT, "{\"text\": \"ok\", \"normalize_accents\": 1}", "body.normalize_accents", "bool_type"},
        {OM_REQ_PII_DEIDENTIFY, "{\"text\": \"ok\", \"method\": \"Mask\"}", "body.method", "literal_error"},
        {OM_REQ_PII_DEIDENTIFY, "{\"text\": \"ok\", \"method\": \"aadhaar_mask\"}", "body.method", "literal_error"},
        {OM_REQ_PII_DEIDENTIFY, "{\"text\": \"ok\", \"shift_dates\": false, \"method\": \"shift_dates\"}",
         "body.shift_dates", "value_error"},
        {OM_REQ_PII_DEIDENTIFY, "{\"text\": \"ok\", \"method\": \"shift_dates\", \"date_shift_days\": 0.5}",
         "body.date_shift_days", "int_type"},
        {OM_REQ_PII_DEIDENTIFY, "{\"text\": \"ok\", \"method\": \"shift_dates\", \"date_shift_days\": 0}",
         "body.date_shift_days", "int_type"},
        {OM_REQ_PII_DEIDENTIFY, "{\"text\": \"ok\", \"keep_year\": \"yes\"}", "body.keep_year", "bool_type"},
        {OM_REQ_PII_DEIDENTIFY, "{\"text\": \"ok\", \"policy\": \"/etc/openmed/p.json\"}", "body.policy", "literal_error"},
        {OM_REQ_PII_DEIDENTIFY, "{\"text\": \"ok\", \"policy\": \"strict.json\"}", "body.policy", "literal_error"},
        {OM_REQ_PII_DEIDENTIFY, "{\"text\": \"ok\", \"policy\": 1}", "body.policy", "string_type"},
        {OM_REQ_PII_DEIDENTIFY, "{\"text\": \"ok\", \"secret\": \"k\"}", "body.secret", "forbidden"},
        {OM_REQ_PII_DEIDENTIFY, "{\"text\": \"ok\", \"date_shift_secret\": \"k\"}", "body.date_shift_secret", "forbidden"},
        {OM_REQ_PII_EXTRACT, "{\"text\": \"ok\", \"deny_list\": [\"a\"]}", "body.deny_list", "extra_forbidden"},
        {OM_REQ_PII_DEIDENTIFY, "{\"text\": \"ok\", \"patient_key\": \"p\"}", "body.patient_key", "value_error"},
        {OM_REQ_PII_DEIDENTIFY, "{\"text\": \"ok\", \"date_shift_max_days\": 9}", "body.date_shift_max_days",
         "value_error"},
        {OM_REQ_PII_DEIDENTIFY, "{\"text\": \"ok\", \"method\": \"shift_dates\", \"date_shift_max_days\": 0}",
         "body.date_shift_max_days", "int_type"},
        {OM_REQ_PII_DEIDENTIFY, "{\"text\": \"ok\", \"method\": \"shift_dates\", \"date_shift_days\": 36501}",
         "body.date_shift_days", "int_type"},
        {OM_REQ_PII_DEIDENTIFY, "{\"text\": \"ok\", \"method\": \"shift_dates\", \"date_shift_days\": 3, \"patient_key\": "
                                "\"p\"}", "body.patient_key", "value_error"},
        {OM_REQ_PII_DEIDENTIFY, "{\"text\": \"ok\", \"method\": \"shift_dates\", \"date_shift_seed\": \"s\", "
                                "\"patient_key\": \"p\"}", "body.patient_key", "value_error"},
        {OM_REQ_PII_DEIDENTIFY, "{\"text\": \"ok\", \"method\": \"shift_dates\", \"date_shift_seed\": true}",
         "body.date_shift_seed", "string_type"},
        {OM_REQ_PII_DEIDENTIFY, "{\"text\": \"ok\", \"method\": \"shift_dates\", \"patient_key\": \" \"}",
         "body.patient_key", "string_length"},
        {OM_REQ_PII_DEIDENTIFY, "{\"text\": \"ok\", \"deny_list\": \"Acme\"}", "body.deny_list", "list_type"},
        {OM_REQ_PII_DEIDENTIFY, "{\"text\": \"ok\", \"allow_list\": [\"a\", \"\"]}", "body.allow_list.1", "string_type"},
        {OM_REQ_PII_DEIDENTIFY, "{\"text\": \"ok\", \"deny_list\": [\"a\", 3]}", "body.deny_list.1", "string_type"},
        {OM_REQ_PII_DEIDENTIFY, "{\"text\": \"ok\", \"protect_clinical_terms\": 0}", "body.protect_clinical_terms",
         "bool_type"},
        {OM_REQ_UNLOAD, "{\"all\": false}", "body.model_name", "value_error"},
        {OM_REQ_UNLOAD, "{\"text\": \"ok\", \"all\": true}", "body.text", "extra_forbidden"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = parse(bad[i].kind, bad[i].body, 0, &r, &e);
        CHECK_MSG(rc == -1 && e.status == 422 && !strcmp(e.field, bad[i].field) && e.type && !strcmp(e.type, bad[i].type),
                  "case %zu '%s': rc %d status %d field '%s' type '%s'", i, bad[i].body, rc, e.status, e.field,
                  e.type ? e.type : "");
        if (rc == 0) om_serve_request_free(&r);
    }

    /* ---- mutated bodies: accepted ones hold well-formed texts; the rest are 400 or 422 */
    const char *seeds[] = {
        "{\"text\": \"secret \\u00e9 \\ud83d\\ude00 text\", \"confidence_threshold\": 0.5, \"model_name\": \"a/b\"}",
        "{\"texts\": [\"secret one\", \"secret two\"], \"aggregation_strategy\": null}",
        "{\"text\": \"secret\", \"method\": \"shift_dates\", \"date_shift_days\": 12, \"deny_list\": [\"ab\"], "
        "\"allow_list\": [\"c\"], \"x\": [1, {\"y\": null}]}",
    };
    const om_request_kind kinds[] = {OM_REQ_ANALYZE, OM_REQ_ANALYZE_BATCH, OM_REQ_PII_DEIDENTIFY};
    static const char alphabet[] = "{}[]\",:\\u0123456789abcdefnrtl.-+eE \xc3\xa9\xed\xa0\x80\xff";
    int n_ok = 0, n_400 = 0, n_422 = 0;
    for (int it = 0; it < 20000; it++) {
        int s = it % 3;
        char buf[256];
        size_t len = strlen(seeds[s]);
        memcpy(buf, seeds[s], len);
        for (int m = 0, n = 1 + (int)(next_rand() % 4); m < n; m++) {
            size_t at = next_rand() % len;
            switch (next_rand() % 3) {
            case 0: buf[at] = alphabet[next_rand() % (sizeof alphabet - 1)]; break;
            case 1: memmove(buf + at, buf + at + 1, len - at - 1), len--; break;
            default:
                if (len < sizeof buf - 1) {
                    memmove(buf + at + 1, buf + at, len - at);
                    buf[at] = alphabet[next_rand() % (sizeof alphabet - 1)];
                    len++;
                }
            }
        }
        int rc = om_serve_request_parse(kinds[s], buf, len, NULL, &r, &e);
        if (rc == 0) {
            n_ok++;
            for (size_t t = 0; t < r.n_texts; t++) CHECK(strlen(r.texts[t]) == r.text_lens[t]);
            om_serve_request_free(&r);
        } else {
            n_400 += e.status == 400;
            n_422 += e.status == 422;
            CHECK_MSG(e.status == 400 || e.status == 422, "mutation %d: status %d", it, e.status);
            CHECK_MSG(!strstr(e.message, "secret"), "mutation %d: the error repeats the text", it);
        }
    }
    printf("mutated bodies: %d accepted, %d refused with 400, %d with 422\n", n_ok, n_400, n_422);
    CHECK(n_ok > 100 && n_400 > 1000 && n_422 > 100);
    return check_finish("test_serve_request");
}
