/* text_index.h: code-point indexing of a UTF-8 text, so [start, end) code-point offsets from the
 * tokenizer can be turned back into bytes (slices, the characters around a token). */
#ifndef OM_PIPELINE_TEXT_INDEX_H
#define OM_PIPELINE_TEXT_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "openmed.h"

typedef struct om_text_index {
    const char *text;   /* the caller's text, not owned */
    size_t n_bytes;
    int64_t n_cp;       /* code points */
    size_t *cp_byte;    /* [n_cp + 1]: byte offset of code point i; cp_byte[n_cp] == n_bytes */
} om_text_index;

/* Index `text` (n_bytes bytes). Invalid UTF-8 fails with OPENMED_ERR_INVALID_ARGUMENT naming the
 * byte offset (`what` names the text, e.g. "text 3"). */
openmed_status om_text_index_init(om_text_index *ix, const char *text, size_t n_bytes, const char *what,
                                  openmed_error *err);
void om_text_index_free(om_text_index *ix);

/* The code point at index i, or -1 when i is out of range. */
int32_t om_text_codepoint(const om_text_index *ix, int64_t i);

/* Byte range of the code-point slice [start, end), clamped to the text like a Python slice. */
void om_text_slice(const om_text_index *ix, int64_t start, int64_t end, size_t *byte_start, size_t *byte_len);

#endif
