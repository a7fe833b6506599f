/* text.h: a UTF-8 text indexed by Unicode code point, with its extended grapheme-cluster boundaries.
 *
 * Entity offsets are code points of the caller's text; spans are snapped to grapheme clusters
 * (UAX #29 via utf8proc, plus OpenMed's Indic conjunct rule: no break between a virama and the
 * consonant it joins), so an entity never splits a combining sequence, emoji or aksara.
 */
#ifndef OM_PRIVACY_TEXT_H
#define OM_PRIVACY_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "openmed.h"

typedef struct om_cp_text {
    const char *utf8;  /* borrowed, not owned */
    int64_t n;         /* code points */
    int32_t *cp;       /* [n] */
    size_t *byte_at;   /* [n + 1]: byte offset of code point k (byte_at[n] = byte length) */
    uint8_t *brk;      /* [n + 1]: 1 where a grapheme cluster starts or the text ends */
} om_cp_text;

/* Index `len` bytes of `utf8` (borrowed for the lifetime of t). Invalid UTF-8 fails with
 * OPENMED_ERR_INVALID_ARGUMENT naming the byte offset. */
openmed_status om_cp_text_init(om_cp_text *t, const char *utf8, size_t len, openmed_error *err);
void om_cp_text_free(om_cp_text *t);

/* Python's str.isspace() for one code point. */
int om_cp_is_space(int32_t c);

/* Clamp [start, end) to the text and widen it outward to whole grapheme clusters; an empty span
 * stays empty and moves back to the preceding cluster boundary. */
void om_snap_to_graphemes(const om_cp_text *t, int64_t *start, int64_t *end);

#endif
