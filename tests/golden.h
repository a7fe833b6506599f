/* golden.h: reading the Hugging Face goldens (tests/fixtures/hf/models/<name>/golden.json) and
 * comparing outputs with them under the project's tolerance rule, shared by the parity tests. */
#ifndef OM_TESTS_GOLDEN_H
#define OM_TESTS_GOLDEN_H

#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "core/file.h"

/* The parsed JSON file at path, or NULL when it cannot be read or parsed. Free with cJSON_Delete. */
static inline cJSON *golden_read_json(const char *path) {
    char *text = NULL;
    size_t n = 0;
    if (om_read_file(path, 0, &text, &n, NULL) != OPENMED_OK) return NULL;
    cJSON *j = cJSON_ParseWithLength(text, n);
    free(text);
    return j;
}

/* The golden model folder OM_FIXTURES/hf/models/<name>, written to dir, and its golden.json parsed;
 * NULL, after a failed check naming the file and why, when it cannot be read or parsed. */
static inline cJSON *golden_load(const char *name, char *dir, size_t dir_size) {
    char path[4200];
    snprintf(dir, dir_size, "%s/hf/models/%s", OM_FIXTURES, name);
    snprintf(path, sizeof path, "%s/golden.json", dir);
    openmed_error err = {0};
    char *text = NULL;
    size_t n = 0;
    if (om_read_file(path, 0, &text, &n, &err) != OPENMED_OK) {
        CHECK_MSG(0, "%s", err.message);
        return NULL;
    }
    cJSON *j = cJSON_ParseWithLength(text, n);
    free(text);
    CHECK_MSG(j != NULL, "%s: not JSON", path);
    return j;
}

/* |got - want| <= tol, relative to |want| above 1. */
static inline int golden_close(double got, double want, double tol) {
    return fabs(got - want) <= tol * (fabs(want) > 1.0 ? fabs(want) : 1.0);
}

/* Mismatches between got [n_rows, n_cols] and a JSON [rows][cols] matrix (a missing matrix, or one of
 * another shape, counts as mismatches); *max_diff grows to the largest error seen on the tolerance's scale:
 * |got - want|, divided by |want| above 1. */
static inline int golden_compare_matrix(const float *got, const cJSON *rows, int64_t n_rows, int64_t n_cols,
                                        double tol, double *max_diff) {
    int bad = 0;
    int64_t r = 0;
    for (const cJSON *row = rows ? rows->child : NULL; row; row = row->next, r++) {
        int64_t c = 0;
        for (const cJSON *v = row->child; v; v = v->next, c++) {
            if (r >= n_rows || c >= n_cols) return bad + 1;
            double want = v->valuedouble, d = fabs(got[r * n_cols + c] - want) / (fabs(want) > 1.0 ? fabs(want) : 1.0);
            if (d > *max_diff) *max_diff = d;
            bad += !golden_close(got[r * n_cols + c], want, tol);
        }
        bad += c != n_cols;
    }
    return bad + (r != n_rows);
}

/* A JSON array of token ids (e.g. "window_ids") as a malloc'd array of *n ids. */
static inline int32_t *golden_ids(const cJSON *arr, int *n) {
    *n = cJSON_GetArraySize(arr);
    int32_t *ids = malloc((size_t)(*n ? *n : 1) * sizeof *ids);
    int i = 0;
    for (const cJSON *v = arr ? arr->child : NULL; ids && v; v = v->next) ids[i++] = (int32_t)v->valueint;
    return ids;
}

#endif
