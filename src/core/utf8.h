/* utf8.h: the library's one UTF-8 codec: strict decoding (what validation and code-point offsets
 * use), lenient decoding of text already validated, encoding, and Rust's lossy decoding. */
#ifndef OM_CORE_UTF8_H
#define OM_CORE_UTF8_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* Strictly decode the code point at s[0..n) (n > 0): returns its byte length (1..4) and sets *cp,
 * or returns 0 for invalid UTF-8 (overlong forms, surrogates, values above U+10FFFF, a truncated
 * sequence) and sets *bad, when not NULL, to the length of the maximal invalid subpart (the bytes
 * Rust's String::from_utf8_lossy replaces with one U+FFFD). */
size_t om_utf8_next(const char *s, size_t n, int32_t *cp, size_t *bad);

/* Index of the first invalid byte of s[0..n), or n when it is all valid. */
size_t om_utf8_validate(const char *s, size_t n);

/* Decode the code point at s[i] of text known to be valid; stores its byte length in *n. Never
 * reads past a byte that is not a continuation (so a NUL stops it): a bad sequence gives U+FFFD
 * with length 1. */
uint32_t om_utf8_decode(const char *s, size_t i, size_t *n);

/* Encode cp into out (4 bytes at most); returns the byte length. */
int om_utf8_encode(uint32_t cp, char *out);

/* Byte length of the sequence a lead byte starts (1 for bytes that cannot lead). */
int om_utf8_len(unsigned char lead);

/* Number of code points in a NUL-terminated string (each invalid byte counts as one). */
int64_t om_utf8_length(const char *s);

/* Append s[0..n) to b decoded lossily (one U+FFFD per maximal invalid subpart, as Rust's
 * String::from_utf8_lossy). Returns 0 when memory runs out. */
int om_utf8_append_lossy(om_buf *b, const char *s, size_t n);

#endif
