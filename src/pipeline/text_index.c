/* text_index.c: code-point to byte offsets for the pipeline's texts. */
#include "pipeline/text_index.h"

#include <stdlib.h>

#include "core/error.h"
#include "core/utf8.h"

openmed_status om_text_index_init(om_text_index *ix, const char *text, size_t n_bytes, const char *what,
                                  openmed_error *err) {
    ix->text = text;
    ix->n_bytes = n_bytes;
    ix->n_cp = 0;
    ix->cp_byte = malloc((n_bytes + 1) * sizeof *ix->cp_byte);
    if (!ix->cp_byte) return om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory indexing %zu bytes", what, n_bytes);
    openmed_status st = openmed_utf8_offsets(text, n_bytes, ix->cp_byte, &ix->n_cp, err);
    if (st != OPENMED_OK) {
        free(ix->cp_byte);
        ix->cp_byte = NULL;
        return om_fail_prefix(err, st, "%s", what);
    }
    return OPENMED_OK;
}

void om_text_index_free(om_text_index *ix) {
    free(ix->cp_byte);
    ix->cp_byte = NULL;
}

int32_t om_text_codepoint(const om_text_index *ix, int64_t i) {
    if (i < 0 || i >= ix->n_cp) return -1;
    size_t b = ix->cp_byte[i];
    int32_t cp;
    return om_utf8_next(ix->text + b, ix->n_bytes - b, &cp, NULL) ? cp : -1;
}

void om_text_slice(const om_text_index *ix, int64_t start, int64_t end, size_t *byte_start, size_t *byte_len) {
    if (start < 0) start = 0;
    if (end > ix->n_cp) end = ix->n_cp;
    if (start > ix->n_cp) start = ix->n_cp;
    if (end < start) end = start;
    *byte_start = ix->cp_byte[start];
    *byte_len = ix->cp_byte[end] - ix->cp_byte[start];
}
