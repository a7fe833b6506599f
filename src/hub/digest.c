/* digest.c: sha256 and git blob sha1 of files and buffers with OpenSSL libcrypto. */
#include "hub/digest.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"

static void to_hex(const unsigned char *d, unsigned n, char *out) {
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[2 * n] = 0;
}

int om_is_hex(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return s[n] == 0;
}

void om_sha256_hex(const void *data, size_t size, char out[65]) {
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_Digest(data, size, d, &n, EVP_sha256(), NULL);
    to_hex(d, n, out);
}

openmed_status om_digest_file(const char *path, om_file_digest *out, openmed_error *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return om_fail(err, OPENMED_ERR_IO, "%s: cannot open for hashing: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return om_fail(err, OPENMED_ERR_IO, "%s: %s", path, strerror(errno));
    }
    EVP_MD_CTX *sha256 = EVP_MD_CTX_new(), *sha1 = EVP_MD_CTX_new();
    unsigned char *buf = malloc(1 << 20);
    openmed_status status = OPENMED_OK;
    if (!sha256 || !sha1 || !buf) {
        status = om_fail(err, OPENMED_ERR_NO_MEMORY, "%s: out of memory while hashing", path);
        goto done;
    }
    char header[64];
    int hn = snprintf(header, sizeof header, "blob %llu", (unsigned long long)st.st_size);
    EVP_DigestInit_ex(sha256, EVP_sha256(), NULL);
    EVP_DigestInit_ex(sha1, EVP_sha1(), NULL);
    EVP_DigestUpdate(sha1, header, (size_t)hn + 1); /* the NUL is part of the git header */
    uint64_t total = 0;
    for (;;) {
        ssize_t n = read(fd, buf, 1 << 20);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            status = om_fail(err, OPENMED_ERR_IO, "%s: read failed while hashing: %s", path, strerror(errno));
            goto done;
        }
        if (n == 0) break;
        EVP_DigestUpdate(sha256, buf, (size_t)n);
        EVP_DigestUpdate(sha1, buf, (size_t)n);
        total += (uint64_t)n;
    }
    if (total != (uint64_t)st.st_size) {
        status = om_fail(err, OPENMED_ERR_IO, "%s: changed while being hashed", path);
        goto done;
    }
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dn = 0;
    EVP_DigestFinal_ex(sha256, d, &dn);
    to_hex(d, dn, out->sha256);
    EVP_DigestFinal_ex(sha1, d, &dn);
    to_hex(d, dn, out->git_sha1);
    out->size = total;
done:
    free(buf);
    EVP_MD_CTX_free(sha256);
    EVP_MD_CTX_free(sha1);
    close(fd);
    return status;
}
