/* digest.h: the content hashes the hub uses to name files: sha256 (LFS files) and the git blob
 * sha1 ("blob <size>\0" + content, regular files), as lowercase hex. */
#ifndef OM_HUB_DIGEST_H
#define OM_HUB_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "openmed.h"

typedef struct om_file_digest {
    uint64_t size;
    char sha256[65];
    char git_sha1[41];
} om_file_digest;

/* Hash a whole file in one pass. */
openmed_status om_digest_file(const char *path, om_file_digest *out, openmed_error *err);

/* sha256 of a buffer as hex. */
void om_sha256_hex(const void *data, size_t size, char out[65]);

/* Is s exactly n lowercase hex digits? */
int om_is_hex(const char *s, size_t n);

#endif
