/* file.h: whole-file reads and path helpers shared by the loaders. */
#ifndef OM_CORE_FILE_H
#define OM_CORE_FILE_H

#include <stddef.h>
#include <stdio.h>

#include "openmed.h"

/* Open `path` for reading, refusing anything but a regular file (a FIFO, device, socket or
 * folder fails with OPENMED_ERR_IO naming its kind) without ever blocking on it. Standard input
 * is the caller's business: it never comes through here. */
openmed_status om_open_regular(const char *path, FILE **out, openmed_error *err);

/* Read a whole file (a regular file only, as om_open_regular) into a NUL-terminated malloc'd buffer; *size excludes the NUL.
 * `max_bytes` caps the size (0 = no cap) so a huge or hostile file fails cleanly. */
openmed_status om_read_file(const char *path, size_t max_bytes, char **data, size_t *size,
                            openmed_error *err);

/* Join dir and name into out ("dir/name"); fails if it does not fit. */
openmed_status om_path_join(char *out, size_t out_size, const char *dir, const char *name,
                            openmed_error *err);

int om_file_exists(const char *path);
int om_dir_exists(const char *path);

/* The source tree this library was compiled from, with a trailing '/' ("/src/openmed-c/"): CMake
 * passes absolute source paths, so __FILE__ locates it (bundled models and policies are found there
 * in a build tree). Returns 0 when it cannot be told. */
int om_source_root(char *out, size_t size);

#endif
