/* sentences.h: sentence segmentation for analyze_text, on the code points of one text.
 *
 * Rule-based, in the spirit of pySBD (what OpenMed uses for English): every hard line break ends
 * a sentence (pySBD splits lines too); inside a line a sentence ends after '.', '!' or '?' (with
 * following closing quotes and brackets) when white space and a character that is not a lower-case
 * letter follow; after the CJK and Indic full stops (。！？｡ । ॥) it ends at once. A '.' does not end a
 * sentence after a known abbreviation ("Dr.", "e.g.", "b.i.d.", "mg."), a single letter (an
 * initial), or a list number at the start of a line ("1. Asthma"). Not byte-identical to pySBD,
 * which has hundreds of rules; where they differ this one splits less, never inside a word.
 */
#ifndef OM_PIPELINE_SENTENCES_H
#define OM_PIPELINE_SENTENCES_H

#include <stddef.h>
#include <stdint.h>

#include "openmed.h"

typedef struct om_sentence {
    int64_t start, end;  /* [start, end) code points, white space trimmed, never empty */
    int paragraph_start; /* 1 for the first sentence and any sentence after a blank line */
    int suppressed;      /* no letter, digit or '_' in it: predictions there are dropped */
} om_sentence;

/* A hard line break at cp[i] (\n, \r, \v, \f, U+0085, U+2028, U+2029): its length in code points
 * (2 for \r\n), else 0. */
int om_hard_break_at(const uint32_t *cp, int64_t n, int64_t i);

/* The sentences of cp[0, n), in order; *out is malloc'd (free it), NULL with *n_out 0 when the text
 * is only white space. */
openmed_status om_sentences_split(const uint32_t *cp, int64_t n, om_sentence **out, size_t *n_out,
                                  openmed_error *err);

#endif
