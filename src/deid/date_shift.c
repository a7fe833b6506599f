/* date_shift.c: the number of days the shift_dates method moves every date of a text: given,
 * derived per patient with HMAC, derived from a seed as OpenMed does, or random. */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

#include "core/error.h"
#include "deid/deid.h"

#define DEFAULT_MAX_DAYS 365

/* OpenMed's bucket: the bytes as a big-endian integer % (2 max) -> [-max, -1] or [1, max]. */
static int from_bytes(const unsigned char *b, size_t n, int max) {
    unsigned long long bucket = 0;
    for (size_t i = 0; i < n; i++) bucket = (bucket * 256 + b[i]) % (unsigned long long)(2 * max);
    int v = (int)bucket;
    return v < max ? v - max : v - max + 1;
}

openmed_status om_deid_date_shift(const openmed_deid_options *o, const om_key *key, int *days, openmed_error *err) {
    int max = o->date_shift_max_days ? o->date_shift_max_days : DEFAULT_MAX_DAYS;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (o->patient_key) {
        if (!o->date_shift_max_days && o->date_shift_days) max = o->date_shift_days < 0 ? -o->date_shift_days : o->date_shift_days;
        openmed_status st = om_hmac(key, "date-shift", o->patient_key, strlen(o->patient_key), md, err);
        if (st != OPENMED_OK) return st;
        *days = from_bytes(md, OM_HMAC_SIZE, max);
        return OPENMED_OK;
    }
    if (o->date_shift_days) {
        *days = o->date_shift_days;
        return OPENMED_OK;
    }
    if (o->date_shift_seed) {
        static const char prefix[] = "openmed-date-shift-seed-v1"; /* + its NUL, as OpenMed */
        EVP_MD_CTX *c = EVP_MD_CTX_new();
        int ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) && EVP_DigestUpdate(c, prefix, sizeof prefix) &&
                 EVP_DigestUpdate(c, o->date_shift_seed, strlen(o->date_shift_seed)) &&
                 EVP_DigestFinal_ex(c, md, &len);
        EVP_MD_CTX_free(c);
        if (!ok) return om_fail(err, OPENMED_ERR_INTERNAL, "shift_dates: sha256 of the seed failed in libcrypto");
    } else {
        len = 8;
        if (RAND_bytes(md, (int)len) != 1)
            return om_fail(err, OPENMED_ERR_INTERNAL, "shift_dates: no random bytes from libcrypto; give date_shift_days");
    }
    *days = from_bytes(md, len, max);
    return OPENMED_OK;
}
