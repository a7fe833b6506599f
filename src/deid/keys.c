/* keys.c: the caller's secret or a random per-process key, and HMAC-SHA256 over OpenSSL. */
#include "deid/keys.h"

#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <string.h>

#include "core/error.h"
#include "core/log.h"

static unsigned char process_key[32];
static int process_key_ok;
static pthread_once_t process_key_once = PTHREAD_ONCE_INIT;

static void draw_process_key(void) {
    process_key_ok = RAND_bytes(process_key, sizeof process_key) == 1;
    if (process_key_ok)
        OM_WARN("deidentify: no secret key given (--secret-file, OPENMED_DEID_SECRET or deid_secret_file in the "
                "config file): hash, replace and format_preserve use a random key for this run, so their values "
                "will not match those of other runs");
}

openmed_status om_deid_key(const openmed_deid_options *o, om_key *key, openmed_error *err) {
    memset(key, 0, sizeof *key);
    if (o->secret && o->secret_len) {
        key->bytes = o->secret;
        key->len = o->secret_len;
        return OPENMED_OK;
    }
    pthread_once(&process_key_once, draw_process_key);
    if (!process_key_ok)
        return om_fail(err, OPENMED_ERR_INTERNAL, "deidentify: no secret key given and no random bytes from libcrypto");
    key->bytes = process_key;
    key->len = sizeof process_key;
    key->random = 1;
    return OPENMED_OK;
}

openmed_status om_hmac(const om_key *key, const char *domain, const void *msg, size_t n,
                       unsigned char out[OM_HMAC_SIZE], openmed_error *err) {
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *c = mac ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0), OSSL_PARAM_construct_end()};
    size_t got = 0;
    int ok = c && EVP_MAC_init(c, key->bytes, key->len, params) &&
             EVP_MAC_update(c, (const unsigned char *)domain, strlen(domain) + 1) && EVP_MAC_update(c, msg, n) &&
             EVP_MAC_final(c, out, &got, OM_HMAC_SIZE) && got == OM_HMAC_SIZE;
    EVP_MAC_CTX_free(c);
    EVP_MAC_free(mac);
    return ok ? OPENMED_OK : om_fail(err, OPENMED_ERR_INTERNAL, "deidentify: HMAC-SHA256 failed in libcrypto");
}
