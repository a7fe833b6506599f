/* chunks.h: packing sentences into the model inputs of analyze_text.
 *
 * As OpenMed: sentences are taken in order into a chunk until it holds max_sentences sentences or
 * the next one would make the chunk span more than max_chars code points. Two rules of ours on
 * top: a chunk also stays within max_tokens model tokens (counted per sentence), so OpenMed's
 * silent truncation of over-long chunks cannot happen, and a chunk never crosses a paragraph
 * break (a blank line), so a text gives the same entities as its paragraphs analysed one by one.
 * A chunk's text is the slice from its first sentence's start to its last sentence's end.
 */
#ifndef OM_PIPELINE_CHUNKS_H
#define OM_PIPELINE_CHUNKS_H

#include <stddef.h>
#include <stdint.h>

#include "openmed.h"
#include "pipeline/sentences.h"

typedef struct om_chunk_limits {
    int max_sentences;  /* >= 1 */
    int64_t max_chars;  /* >= 1 */
    int64_t max_tokens; /* <= 0: no token limit */
} om_chunk_limits;

typedef struct om_chunk {
    int64_t start, end;   /* code points */
    size_t first, count;  /* sentences [first, first + count) */
} om_chunk;

/* Chunks over n sentences (n >= 1); tokens[i] is sentence i's token count (NULL: unknown). *out is
 * malloc'd (free it). */
openmed_status om_chunks_plan(const om_sentence *sentences, size_t n, const int64_t *tokens,
                              const om_chunk_limits *limits, om_chunk **out, size_t *n_out, openmed_error *err);

#endif
