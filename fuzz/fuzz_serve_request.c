/* fuzz_serve_request.c: request bodies of `openmed serve` on hostile bytes. The first byte picks the
 * route (and tight limits), the rest is the body. A body is accepted or refused with a 400/422, a
 * stable code, a terminated message and a field path that echoes nothing but an identifier; an
 * accepted one holds 1..max_texts texts of well-formed UTF-8 without NUL, each within the limits,
 * and its cJSON tree printed back is again strict JSON. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "serve_request.h"

static size_t utf8_len(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    size_t k = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (!k || k > n || (k == 2 && c < 0xC2) || (k == 4 && c > 0xF4)) return 0;
    for (size_t q = 1; q < k; q++)
        if ((s[q] & 0xC0) != 0x80) return 0;
    if (k == 3 && ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0))) return 0;
    if (k == 4 && ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90))) return 0;
    return k;
}

/* code points of a well-formed UTF-8 string, (size_t)-1 when it is not well-formed */
static size_t code_points(const char *s, size_t n) {
    size_t cp = 0;
    for (size_t i = 0; i < n; cp++) {
        size_t k = utf8_len((const unsigned char *)s + i, n - i);
        if (!k) return (size_t)-1;
        i += k;
    }
    return cp;
}

/* "" or "body", "body.<identifier>", "body.texts.<n>", "body.(a field name)" */
static int field_ok(const char *f) {
    if (!f[0] || !strcmp(f, "body") || !strcmp(f, "body.(a field name)")) return 1;
    if (strncmp(f, "body.", 5)) return 0;
    f += 5;
    size_t n = strlen(f);
    if (n == 0 || n > 40) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((f[i] >= 'a' && f[i] <= 'z') || (f[i] >= '0' && f[i] <= '9') || f[i] == '_' || f[i] == '.'))
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    om_request_kind kind = (om_request_kind)((data[0] & 0x7f) % OM_REQ_KIND_COUNT);
    om_request_limits tight = {8, 2};
    const om_request_limits *lim = data[0] & 0x80 ? &tight : NULL;
    size_t max_chars = lim ? lim->max_text_chars : 1000000, max_texts = lim ? lim->max_texts : 256;
    /* an exact-size copy of the body, so reading past its end is caught */
    size_t len = size - 1;
    char *body = malloc(len ? len : 1);
    if (!body) return 0;
    if (len) memcpy(body, data + 1, len);

    om_serve_request req;
    om_request_error err;
    int rc = om_serve_request_parse(kind, body, len, lim, &req, &err);
    FUZZ_ASSERT(rc == 0 || rc == -1, "returned %d", rc);
    if (rc) {
        FUZZ_ASSERT(err.status == 400 || err.status == 422 || (err.status == 500 && !strcmp(err.code, "internal_error")),
                    "refused with HTTP status %d", err.status);
        FUZZ_ASSERT(err.code && err.code[0] && err.type && err.type[0], "refusal without a code or type");
        FUZZ_ASSERT(memchr(err.message, 0, sizeof err.message) && err.message[0], "message not terminated or empty");
        FUZZ_ASSERT(memchr(err.field, 0, sizeof err.field) && field_ok(err.field), "field path echoes input");
        FUZZ_ASSERT(err.status != 400 || err.offset <= len, "offset %zu past the body", err.offset);
        FUZZ_ASSERT(req.root == NULL && req.texts == NULL, "refused request still owns memory");
    } else {
        FUZZ_ASSERT(req.kind == kind && req.root, "accepted request without its tree");
        if (kind == OM_REQ_UNLOAD) {
            FUZZ_ASSERT(req.unload_all || (req.model_name && req.model_name[0]), "unload of nothing");
        } else {
            FUZZ_ASSERT(req.n_texts >= 1 && req.n_texts <= max_texts, "%zu texts", req.n_texts);
            for (size_t i = 0; i < req.n_texts; i++) {
                FUZZ_ASSERT(req.texts[i] && strlen(req.texts[i]) == req.text_lens[i], "text %zu: length or NUL", i);
                size_t cp = code_points(req.texts[i], req.text_lens[i]);
                FUZZ_ASSERT(cp != (size_t)-1, "text %zu is not well-formed UTF-8", i);
                FUZZ_ASSERT(cp >= 1 && cp <= max_chars, "text %zu: %zu code points", i, cp);
            }
            FUZZ_ASSERT(req.analyze_threshold >= 0.0f && req.analyze_threshold <= 1.0f, "analyze threshold");
            FUZZ_ASSERT(req.deid.confidence_threshold >= 0.0f && req.deid.confidence_threshold <= 1.0f,
                        "PII threshold");
            FUZZ_ASSERT(req.lang && req.lang[0], "no language");
        }
        /* what cJSON prints of an accepted tree is strict JSON again */
        char *printed = cJSON_PrintUnformatted(req.root);
        if (printed) {
            om_request_error e2;
            memset(&e2, 0, sizeof e2);
            cJSON *again = om_json_parse_strict(printed, strlen(printed), &e2);
            FUZZ_ASSERT(again != NULL, "printed tree refused: %s", e2.message);
            cJSON_Delete(again);
            free(printed);
        }
        om_serve_request_free(&req);
    }
    free(body);
    return 0;
}
