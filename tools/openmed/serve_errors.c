/* serve_errors.c: OpenMed's error envelope, the body of every 4xx and 5xx answer of `openmed serve`:
 * {"error": {"code", "message", "details", "request_id"}}. Messages and details name fields, limits
 * and models, never request text. */
#include <string.h>

#include "serve.h"

int om_serve_error_body(om_strbuf *out, int status, const char *code, const char *message, const char *details_json,
                        const char *request_id) {
    out->len = 0;
    if (out->data) out->data[0] = '\0';
    om_strbuf_puts(out, "{\"error\": {\"code\": ");
    om_strbuf_json_string(out, code, strlen(code));
    om_strbuf_puts(out, ", \"message\": ");
    om_strbuf_json_string(out, message, strlen(message));
    om_strbuf_printf(out, ", \"details\": %s", details_json ? details_json : "null");
    if (request_id) {
        om_strbuf_puts(out, ", \"request_id\": ");
        om_strbuf_json_string(out, request_id, strlen(request_id));
    }
    om_strbuf_puts(out, "}}\n");
    return status;
}
