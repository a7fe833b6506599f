/* chunks.c: greedy packing of sentences into chunks (sentence, character and token limits,
 * paragraph breaks). */
#include "pipeline/chunks.h"

#include <stdlib.h>

#include "core/error.h"

openmed_status om_chunks_plan(const om_sentence *s, size_t n, const int64_t *tokens, const om_chunk_limits *lim,
                              om_chunk **out, size_t *n_out, openmed_error *err) {
    *out = NULL;
    *n_out = 0;
    if (n == 0) return OPENMED_OK;
    om_chunk *v = malloc(n * sizeof *v); /* at most one chunk per sentence */
    if (!v) return om_fail(err, OPENMED_ERR_NO_MEMORY, "chunks: out of memory for %zu sentences", n);
    size_t count = 0;
    om_chunk cur = {s[0].start, s[0].end, 0, 1};
    int64_t cur_tokens = tokens ? tokens[0] : 0;
    for (size_t i = 1; i < n; i++) {
        int64_t t = tokens ? tokens[i] : 0;
        int full = cur.count >= (size_t)lim->max_sentences || s[i].end - cur.start > lim->max_chars ||
                   (lim->max_tokens > 0 && tokens && cur_tokens + t > lim->max_tokens) || s[i].paragraph_start;
        if (full) {
            v[count++] = cur;
            cur = (om_chunk){s[i].start, s[i].end, i, 1};
            cur_tokens = t;
        } else {
            cur.end = s[i].end;
            cur.count++;
            cur_tokens += t;
        }
    }
    v[count++] = cur;
    *out = v;
    *n_out = count;
    return OPENMED_OK;
}
