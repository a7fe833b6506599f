/* install_dir.c: finds <prefix>/share/openmed from the location of libopenmed's own file. */
#include "core/install_dir.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/file.h"

int om_library_dir(char *out, size_t size) {
    if (!out || size == 0) return 0;
    out[0] = 0;
    char path[PATH_MAX];
    path[0] = 0;
    Dl_info info;
    /* For a shared library dli_fname is the path the loader opened; for code linked into the program
     * it is argv[0], which may be relative to a folder the program has since left: use the kernel's. */
    if (dladdr((void *)&om_library_dir, &info) && info.dli_fname && info.dli_fname[0] == '/') {
        if (!realpath(info.dli_fname, path)) path[0] = 0;
    }
    if (!path[0]) {
        ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
        if (n <= 0) return 0;
        path[n] = 0;
    }
    char *slash = strrchr(path, '/');
    if (!slash) return 0;
    *slash = 0;
    int n = snprintf(out, size, "%s", path[0] ? path : "/");
    if (n < 0 || (size_t)n >= size) {
        out[0] = 0;
        return 0;
    }
    return 1;
}

int om_installed_data(const char *relative, char *out, size_t size) {
    if (!out || size == 0) return 0;
    char dir[PATH_MAX];
    if (!om_library_dir(dir, sizeof dir)) {
        out[0] = 0;
        return 0;
    }
    char *slash = strrchr(dir, '/'); /* <prefix>/lib -> <prefix> */
    if (slash) *slash = 0;
    const char *rel = relative ? relative : "";
    int n = snprintf(out, size, "%s/share/openmed%s%s", dir, rel[0] ? "/" : "", rel);
    if (n < 0 || (size_t)n >= size) {
        out[0] = 0;
        return 0;
    }
    return om_file_exists(out) || om_dir_exists(out);
}
