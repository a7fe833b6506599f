/* test_pipeline_windows.c: HF overflow windows (model_max_length, stride), both window modes. */
#include <stdlib.h>

#include "check.h"
#include "pipeline/windows.h"

static int64_t plan(int64_t n, int64_t max_length, int n_special, int stride, om_window_mode mode, om_window **w) {
    om_window_plan_args a = {n, max_length, n_special, stride, mode};
    int64_t count = 0;
    openmed_error err = {0};
    openmed_status st = om_windows_plan(&a, w, &count, &err);
    CHECK_MSG(st == OPENMED_OK, "%s", err.message);
    return count;
}

int main(void) {
    om_window *w = NULL;

    /* No stride: plain truncation to the first window. */
    CHECK_INT(plan(382, 128, 2, -1, OM_WINDOWS_HF, &w), 1);
    CHECK_INT(w[0].start, 0);
    CHECK_INT(w[0].stop, 126);
    free(w);

    /* Stride 32 as transformers 5.x does it (checked against the golden scores): the text is cut to
     * model_max_length content tokens, then split into windows of 126 every 94 tokens. */
    CHECK_INT(plan(382, 128, 2, 32, OM_WINDOWS_HF, &w), 2);
    CHECK_INT(w[0].start, 0);
    CHECK_INT(w[0].stop, 126);
    CHECK_INT(w[1].start, 94);
    CHECK_INT(w[1].stop, 128);
    free(w);
    CHECK_INT(plan(127, 128, 2, 32, OM_WINDOWS_HF, &w), 2);
    CHECK_INT(w[1].stop, 127);
    free(w);
    CHECK_INT(plan(126, 128, 2, 32, OM_WINDOWS_HF, &w), 1);
    CHECK_INT(w[0].stop, 126);
    free(w);
    /* stride 0: windows touch without overlap. */
    CHECK_INT(plan(300, 128, 2, 0, OM_WINDOWS_HF, &w), 2);
    CHECK_INT(w[1].start, 126);
    CHECK_INT(w[1].stop, 128);
    free(w);

    /* Short and empty texts: one window with everything (an empty one for an empty text). */
    CHECK_INT(plan(5, 128, 2, -1, OM_WINDOWS_HF, &w), 1);
    CHECK_INT(w[0].stop, 5);
    free(w);
    CHECK_INT(plan(0, 128, 2, 32, OM_WINDOWS_HF, &w), 1);
    CHECK_INT(w[0].start, 0);
    CHECK_INT(w[0].stop, 0);
    free(w);
    /* No model_max_length: the whole text at once. */
    CHECK_INT(plan(100000, 0, 2, -1, OM_WINDOWS_HF, &w), 1);
    CHECK_INT(w[0].stop, 100000);
    free(w);

    /* Whole-text mode: consecutive windows without stride; overlapping with stride; the last
     * window ends at the text's end and no window is empty. */
    CHECK_INT(plan(382, 128, 2, -1, OM_WINDOWS_ALL, &w), 4);
    CHECK_INT(w[3].start, 378);
    CHECK_INT(w[3].stop, 382);
    free(w);
    CHECK_INT(plan(382, 128, 2, 32, OM_WINDOWS_ALL, &w), 4);
    CHECK_INT(w[1].start, 94);
    CHECK_INT(w[1].stop, 220);
    CHECK_INT(w[3].start, 282);
    CHECK_INT(w[3].stop, 382);
    free(w);
    CHECK_INT(plan(252, 128, 2, -1, OM_WINDOWS_ALL, &w), 2);
    CHECK_INT(w[1].stop, 252);
    free(w);
    int64_t n = plan(1000000, 512, 2, 128, OM_WINDOWS_ALL, &w);
    int ok = w[0].start == 0 && w[n - 1].stop == 1000000;
    for (int64_t i = 1; i < n; i++) ok = ok && w[i].start == w[i - 1].start + 382 && w[i].stop - w[i].start <= 510;
    CHECK(ok);
    free(w);

    /* A stride that does not fit is an error naming it. */
    om_window_plan_args bad = {382, 128, 2, 128, OM_WINDOWS_HF};
    int64_t count = 0;
    openmed_error err = {0};
    CHECK(om_windows_plan(&bad, &w, &count, &err) == OPENMED_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "stride 128") != NULL);
    bad.stride = 126;
    CHECK(om_windows_plan(&bad, &w, &count, &err) == OPENMED_ERR_INVALID_ARGUMENT);
    bad.stride = 125;
    CHECK(om_windows_plan(&bad, &w, &count, &err) == OPENMED_OK);
    free(w);
    return check_finish("test_pipeline_windows");
}
