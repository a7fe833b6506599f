/* text_slice.c: code-point slices of a text for the writers. */
#include "text_slice.h"

#include <stdlib.h>

#include "cli.h"

openmed_status cli_text_index_init(cli_text_index *ix, const char *text, size_t n_bytes, const char *what,
                                   openmed_error *err) {
    ix->n_cp = 0;
    ix->cp_byte = malloc((n_bytes + 1) * sizeof *ix->cp_byte);
    if (!ix->cp_byte) return cli_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory indexing %zu bytes", what, n_bytes);
    openmed_error e;
    if (openmed_utf8_offsets(text, n_bytes, ix->cp_byte, &ix->n_cp, &e) != OPENMED_OK) {
        free(ix->cp_byte);
        ix->cp_byte = NULL;
        return cli_fail(err, e.status, "%s: %s", what, e.message);
    }
    return OPENMED_OK;
}

void cli_text_index_free(cli_text_index *ix) {
    free(ix->cp_byte);
    ix->cp_byte = NULL;
}

void cli_text_slice(const cli_text_index *ix, int64_t start, int64_t end, size_t *byte_start, size_t *byte_len) {
    if (start < 0) start = 0;
    if (end > ix->n_cp) end = ix->n_cp;
    if (start > ix->n_cp) start = ix->n_cp;
    if (end < start) end = start;
    *byte_start = ix->cp_byte[start];
    *byte_len = ix->cp_byte[end] - ix->cp_byte[start];
}
