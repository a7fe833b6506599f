/* keys.h: the secret key of the keyed methods (hash, replace, format_preserve, per-patient date
 * shifts) and the HMAC-SHA256 they derive everything from. */
#ifndef OM_DEID_KEYS_H
#define OM_DEID_KEYS_H

#include <stddef.h>

#include "openmed.h"

#define OM_HMAC_SIZE 32

typedef struct om_key {
    const unsigned char *bytes;
    size_t len;
    int random; /* 1: no secret was given; a random key of this process */
} om_key;

/* The caller's secret (options->secret), or one random key per process (drawn once from the
 * operating system through OpenSSL; the first such use warns through the log). Fails when no
 * random bytes can be had. */
openmed_status om_deid_key(const openmed_deid_options *options, om_key *key, openmed_error *err);

/* HMAC-SHA256(key, domain || 0x00 || msg): a domain ("hash", "surrogate", "date-shift") keeps the
 * uses of one key apart. Fails only if libcrypto fails. */
openmed_status om_hmac(const om_key *key, const char *domain, const void *msg, size_t n,
                       unsigned char out[OM_HMAC_SIZE], openmed_error *err);

#endif
