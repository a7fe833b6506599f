/* test_corrupt_checkpoint.c: a model whose model.safetensors is cut short at every length, or has
 * bits flipped at random (seeded, so a failure replays), never loads wrong and never crashes: a
 * cut file is OPENMED_ERR_FORMAT naming model.safetensors; a flipped one either is that, or loads
 * as a whole model that runs (a flip inside tensor data or header padding is a different valid
 * file, which nothing can tell from the original without a checksum). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "faults/tiny_model.h"
#include "openmed.h"

static char root[256], dir[320], weights[400];
static unsigned char good[16384];
static size_t good_size;

static openmed_status load(openmed_model **m, openmed_error *err) {
    openmed_model_options o;
    openmed_model_options_init(&o);
    o.device = "cpu";
    o.num_threads = 1;
    return openmed_model_load(dir, &o, m, err);
}

static void put(const unsigned char *data, size_t n) {
    CHECK_INT(tiny_write_file(dir, "model.safetensors", data, n), 0);
}

/* A loaded model runs a text end to end. */
static void runs(openmed_model *m, const char *what) {
    openmed_pipeline *p = NULL;
    openmed_error err;
    openmed_status s = openmed_pipeline_create(m, NULL, &p, &err);
    CHECK_MSG(s == OPENMED_OK, "%s: %s", what, err.message);
    if (s) return;
    const char *text = "the patient has cystic fibrosis.";
    openmed_result *res = NULL;
    s = openmed_pipeline_run(p, &text, 1, &res, &err);
    /* flipped weights may be NaN or infinite: that is a numeric error, never a crash */
    CHECK_MSG(s == OPENMED_OK || s == OPENMED_ERR_NUMERIC, "%s: %s", what, err.message);
    if (s == OPENMED_OK) openmed_results_free(res, 1);
    openmed_pipeline_free(p);
}

static void test_truncations(void) {
    int format_errors = 0;
    for (size_t len = 0; len < good_size; len++) {
        put(good, len);
        openmed_model *m = NULL;
        openmed_error err;
        memset(&err, 0, sizeof err);
        openmed_status s = load(&m, &err);
        if (s == OPENMED_ERR_FORMAT && strstr(err.message, "model.safetensors")) {
            format_errors++;
        } else {
            CHECK_MSG(0, "cut at %zu of %zu bytes: status %d: %s", len, good_size, (int)s, err.message);
            openmed_model_free(m);
        }
    }
    CHECK_INT(format_errors, (int)good_size);
    printf("test_corrupt_checkpoint: %zu truncations, all OPENMED_ERR_FORMAT naming the file\n", good_size);
}

static void test_bit_flips(unsigned seed, int rounds) {
    srand(seed);
    static unsigned char copy[sizeof good];
    int refused = 0, loaded = 0;
    size_t header_end = 8 + (size_t)good[0] + ((size_t)good[1] << 8);
    for (int r = 0; r < rounds; r++) {
        memcpy(copy, good, good_size);
        int flips = 1 + rand() % 4;
        /* half the rounds aim at the length prefix and the JSON header, where a flip changes meaning */
        size_t span = r % 2 ? header_end : good_size;
        for (int k = 0; k < flips; k++) {
            size_t at = (size_t)rand() % span;
            copy[at] ^= (unsigned char)(1u << (rand() % 8));
        }
        put(copy, good_size);
        openmed_model *m = NULL;
        openmed_error err;
        memset(&err, 0, sizeof err);
        openmed_status s = load(&m, &err);
        char what[96];
        snprintf(what, sizeof what, "seed %u round %d", seed, r);
        if (s == OPENMED_OK) {
            loaded++;
            runs(m, what);
            openmed_model_free(m);
        } else {
            refused++;
            CHECK_MSG(m == NULL, "%s: a failed load left a model", what);
            CHECK_MSG(err.status == s && err.message[0], "%s: status %d without a message", what, (int)s);
            CHECK_MSG(s == OPENMED_ERR_FORMAT || s == OPENMED_ERR_NUMERIC, "%s: status %d: %s", what, (int)s,
                      err.message);
            CHECK_MSG(strstr(err.message, "model.safetensors") != NULL, "%s: the error does not name the file: %s",
                      what, err.message);
        }
    }
    printf("test_corrupt_checkpoint: seed %u, %d flipped files: %d refused, %d loaded and ran\n", seed, rounds,
           refused, loaded);
}

int main(void) {
    snprintf(root, sizeof root, "/tmp/om_corrupt_ckpt_XXXXXX");
    if (!mkdtemp(root)) return 1;
    snprintf(dir, sizeof dir, "%s/tiny-bert", root);
    snprintf(weights, sizeof weights, "%s/model.safetensors", dir);
    CHECK_INT(tiny_model_write(dir), 0);
    good_size = tiny_safetensors(good, sizeof good);
    CHECK(good_size > 0);
    openmed_model *m = NULL;
    openmed_error err;
    openmed_status s = load(&m, &err);
    CHECK_MSG(s == OPENMED_OK, "the intact model: %s", err.message);
    if (s == OPENMED_OK) runs(m, "the intact model");
    openmed_model_free(m);
    test_truncations();
    const char *env = getenv("OM_FLIP_SEED"); /* replay one seed */
    test_bit_flips(env ? (unsigned)strtoul(env, NULL, 10) : 20261205u, 1500);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", root);
    return check_finish("test_corrupt_checkpoint");
}
