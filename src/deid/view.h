/* view.h: the detection view of a text: what detectors read, and the map from its offsets back to
 * the caller's text. Folding, per grapheme cluster of the original:
 *   - default-ignorable and format characters are removed (zero-width space, ZWJ, ZWNJ, word
 *     joiner, BOM, soft hyphen, bidi marks, variation selectors, tags, ...);
 *   - the rest is NFKC-normalized (full-width letters and digits, ligatures, compatibility spaces);
 *   - decimal digits of every script become ASCII digits ("٣" -> "3");
 *   - Cyrillic and Greek letters that look Latin become Latin inside words that hold a Latin letter
 *     ("Jаne" with a Cyrillic "а" -> "Jane").
 * A span of the view maps back to whole clusters of the original: every character of a detected
 * value, including removed ones inside it, lies inside the mapped span. */
#ifndef OM_DEID_VIEW_H
#define OM_DEID_VIEW_H

#include <stddef.h>

#include "openmed.h"

typedef struct om_view_run {
    size_t view, orig; /* where the run starts in the view and in the original */
    int identity;      /* 1: the run's bytes are the original's; 0: one folded cluster, atomic */
} om_view_run;

typedef struct om_deid_view {
    char *text;           /* the view, NUL-terminated, owned */
    size_t len;           /* bytes */
    const char *original; /* the caller's text, not owned */
    size_t original_len;
    om_view_run *runs;    /* [n_runs + 1]: runs in order; runs[n_runs] = {len, original_len} */
    size_t n_runs;
} om_deid_view;

/* Build the view of `len` bytes of valid UTF-8 (checked by the caller). Time and memory linear in
 * len. Fails only when out of memory. */
openmed_status om_deid_view_init(om_deid_view *v, const char *text, size_t len, openmed_error *err);
void om_deid_view_free(om_deid_view *v);

/* The original byte range [*o0, *o1) of the view range [start, end): from the start of the
 * original cluster holding view byte `start` to the end of the one holding byte end - 1. */
void om_deid_view_to_original(const om_deid_view *v, size_t start, size_t end, size_t *o0, size_t *o1);

/* The view range [*start, *end) of the original range [o0, o1) made of whole clusters (the
 * inverse of om_deid_view_to_original): what detection saw of those characters. */
void om_deid_view_from_original(const om_deid_view *v, size_t o0, size_t o1, size_t *start, size_t *end);

#endif
