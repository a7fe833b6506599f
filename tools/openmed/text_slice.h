/* text_slice.h: slicing the caller's text by the code-point offsets entities carry. */
#ifndef OPENMED_CLI_TEXT_SLICE_H
#define OPENMED_CLI_TEXT_SLICE_H

#include <stddef.h>
#include <stdint.h>

#include "openmed.h"

typedef struct cli_text_index {
    int64_t n_cp;    /* code points */
    size_t *cp_byte; /* [n_cp + 1]: byte offset of code point i; cp_byte[n_cp] == the text's bytes */
} cli_text_index;

/* Index `n_bytes` bytes of UTF-8 (openmed_utf8_offsets); invalid UTF-8 fails naming `what` and the byte. */
openmed_status cli_text_index_init(cli_text_index *ix, const char *text, size_t n_bytes, const char *what,
                                   openmed_error *err);
void cli_text_index_free(cli_text_index *ix);

/* Byte range of the code-point slice [start, end), clamped to the text like a Python slice. */
void cli_text_slice(const cli_text_index *ix, int64_t start, int64_t end, size_t *byte_start, size_t *byte_len);

#endif
