/* install_dir.h: where the installed tree's data is, found from the library's own file (not from
 * the program that loaded it, nor from a source path). */
#ifndef OM_CORE_INSTALL_DIR_H
#define OM_CORE_INSTALL_DIR_H

#include <stddef.h>

/* The folder of the file holding this code: libopenmed.so when the library is shared (dladdr),
 * the program itself when it is linked in statically (/proc/self/exe), symbolic links resolved.
 * Returns 0 when it cannot be told or does not fit in size. */
int om_library_dir(char *out, size_t size);

/* <prefix>/share/openmed/<relative>, where <prefix> is the parent of the library's folder: where `cmake --install` puts the bundled models
 * (models/), the registry (models.jsonl) and policies (policies/), for a library in <prefix>/lib.
 * Writes that path and returns 1 when it exists; 0 otherwise (out then holds the path looked at,
 * or "" when the library's folder is unknown). */
int om_installed_data(const char *relative, char *out, size_t size);

#endif
