/* installed_data.c: built against an installed OpenMed-C only (pkg-config), checks that the library
 * finds its data in the tree it is installed in: the bundled models, the registry and the policies
 * under <prefix>/share/openmed, each identified by something only the installed copy holds.
 * Usage: installed_data PREFIX MARKER_REPO_ID MARKER_POLICY */
#define _XOPEN_SOURCE 700 /* realpath */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openmed.h>

static int failures;

static void check(int ok, const char *what, const char *detail) {
    printf("%s %s%s%s\n", ok ? "ok  " : "FAIL", what, detail ? ": " : "", detail ? detail : "");
    if (!ok) failures++;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: installed_data PREFIX MARKER_REPO_ID MARKER_POLICY\n");
        return 2;
    }
    char prefix[PATH_MAX];
    if (!realpath(argv[1], prefix)) {
        perror(argv[1]);
        return 2;
    }
    char share[PATH_MAX + 32];
    snprintf(share, sizeof share, "%s/share/openmed/", prefix);
    openmed_error err;

    check(strcmp(openmed_version(), OPENMED_VERSION_STRING) == 0, "library version matches the header", openmed_version());

    const char *names[] = {"disease", "pii"};
    for (int i = 0; i < 2; i++) {
        char path[OPENMED_PATH_MAX], real[PATH_MAX];
        openmed_status st = openmed_bundled_model_path(names[i], path, sizeof path, &err);
        int ok = st == OPENMED_OK && realpath(path, real) && strncmp(real, share, strlen(share)) == 0;
        check(ok, names[i], st == OPENMED_OK ? path : err.message);
    }

    openmed_model_info info;
    openmed_status st = openmed_registry_find(argv[2], &info, &err);
    check(st == OPENMED_OK, "registry row only the installed models.jsonl has", st == OPENMED_OK ? info.repo_id : err.message);

    openmed_policy *policy = NULL;
    st = openmed_policy_load(argv[3], &policy, &err);
    check(st == OPENMED_OK, "policy only the installed policies/ has", st == OPENMED_OK ? openmed_policy_name(policy) : err.message);
    openmed_policy_free(policy);

    return failures ? 1 : 0;
}
