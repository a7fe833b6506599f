/* test_bundled_dir.c: the bundled models are found through $OPENMED_MODELS_DIR first, then the
 * source tree; unknown names and short buffers give NULL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "models/bundled.h"

int main(void) {
    char buf[4096], want[4096];
    unsetenv("OPENMED_MODELS_DIR");
    CHECK(om_bundled_model_dir("nonsense", buf, sizeof buf) == NULL);
    CHECK(om_bundled_model_dir(NULL, buf, sizeof buf) == NULL);
    CHECK_STR(om_bundled_model_folder("disease"), "disease-ner");
    CHECK_STR(om_bundled_model_folder("pii"), "pii");

    /* The source tree's models/ (the tests run from the build tree, not an installed prefix). */
    snprintf(want, sizeof want, "%s/models/disease-ner", OM_SOURCE_DIR);
    const char *got = om_bundled_model_dir("disease", buf, sizeof buf);
    CHECK_MSG(got != NULL, "bundled disease model not found in %s", want);
    if (got) {
        char a[4096], b[4096];
        CHECK(realpath(got, a) && realpath(want, b) && !strcmp(a, b));
    }
    CHECK(om_bundled_model_dir("disease", buf, 8) == NULL); /* does not fit */

    /* $OPENMED_MODELS_DIR wins when it holds the folder, and is skipped when it does not. */
    char dir[] = "/tmp/om_bundled_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char sub[256], cfg[300];
    snprintf(sub, sizeof sub, "%s/disease-ner", dir);
    snprintf(cfg, sizeof cfg, "%s/config.json", sub);
    CHECK(mkdir(sub, 0700) == 0);
    FILE *f = fopen(cfg, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("{}\n", f);
        fclose(f);
    }
    setenv("OPENMED_MODELS_DIR", dir, 1);
    got = om_bundled_model_dir("disease", buf, sizeof buf);
    CHECK(got && !strcmp(got, sub));
    got = om_bundled_model_dir("pii", buf, sizeof buf);
    CHECK(got == NULL || strcmp(got, sub) != 0);
    unsetenv("OPENMED_MODELS_DIR");
    unlink(cfg);
    rmdir(sub);
    rmdir(dir);
    return check_finish("test_bundled_dir");
}
