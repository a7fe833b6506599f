/* test_cpu_threads.c: the CPU backend's thread count. Run with OMP_NUM_THREADS=3 (set by ctest): a
 * backend opened without a count uses OpenMP's (3), one opened with a count uses it, and a GEMM
 * with a given count leaves the calling thread's OpenMP setting as it found it. Without a wait policy
 * of the program's, the OpenMP runtime oneDNN brings starts passive. */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/cpu/cpu.h"
#include "check.h"

typedef int (*omp_get_int_fn)(void);
typedef void (*omp_set_int_fn)(int);

/* y = x W^T through the backend, checked against a plain loop. */
static void linear_ok(om_backend *be) {
    enum { M = 64, K = 96, N = 80 };
    static float x[M * K], w[N * K], y[M * N];
    for (int i = 0; i < M * K; i++) x[i] = (float)((i * 7) % 13) / 13.0f - 0.5f;
    for (int i = 0; i < N * K; i++) w[i] = (float)((i * 5) % 11) / 11.0f - 0.5f;
    om_weight W = {w, OM_F32, N, K, NULL, 0};
    openmed_error err;
    CHECK_INT(be->prepare_weight(be, &W, 0, &err), OPENMED_OK);
    CHECK_INT(be->linear(be, y, 0, x, 0, &W, NULL, M, OM_ACT_NONE, 0, &err), OPENMED_OK);
    double worst = 0;
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            double ref = 0;
            for (int k = 0; k < K; k++) ref += (double)x[m * K + k] * w[n * K + k];
            double d = ref - y[m * N + n];
            if (d < 0) d = -d;
            if (d > worst) worst = d;
        }
    CHECK(worst < 1e-4);
    be->release_weight(be, &W);
}

int main(void) {
    const char *env = getenv("OMP_NUM_THREADS");
    if (!env || strcmp(env, "3") != 0) {
        fprintf(stderr, "test_cpu_threads: run with OMP_NUM_THREADS=3 (ctest sets it)\n");
        return 1;
    }
    int policy_unset = !getenv("OMP_WAIT_POLICY") && !getenv("GOMP_SPINCOUNT");
    /* ASan builds link oneDNN at start (CMakeLists.txt): its OpenMP runtime is then the program's. */
    void *gomp = dlopen("libgomp.so.1", RTLD_LAZY | RTLD_NOLOAD);
    if (gomp) {
        fprintf(stderr, "test_cpu_threads: OpenMP loaded before the backend; its wait policy is the program's\n");
        policy_unset = 0;
        dlclose(gomp);
    }
    CHECK(om_cpu_threads_available());
    /* The program set no wait policy and had no OpenMP runtime: idle workers wait passively. */
    if (policy_unset) CHECK_STR(getenv("OMP_WAIT_POLICY"), "passive");
    omp_get_int_fn max_threads = (omp_get_int_fn)dlsym(om_cpu_gemm_library(), "omp_get_max_threads");
    omp_set_int_fn set_threads = (omp_set_int_fn)dlsym(om_cpu_gemm_library(), "omp_set_num_threads");
    CHECK(max_threads && set_threads);
    if (!max_threads || !set_threads) return check_finish("test_cpu_threads");
    openmed_error err;

    /* No count: OpenMP's, i.e. OMP_NUM_THREADS; GEMMs run with it untouched. */
    om_backend *be = NULL;
    CHECK_INT(om_backend_create("cpu", 0, &be, &err), OPENMED_OK);
    CHECK_INT(om_cpu_threads(be), 3);
    linear_ok(be);
    CHECK_INT(max_threads(), 3);
    om_backend_destroy(be);

    /* A given count: used by the backend; the caller's OpenMP count is restored after each GEMM. */
    CHECK_INT(om_backend_create("cpu", 2, &be, &err), OPENMED_OK);
    CHECK_INT(om_cpu_threads(be), 2);
    linear_ok(be);
    CHECK_INT(max_threads(), 3);
    set_threads(1); /* the program's own setting on this thread wins for a backend without a count */
    linear_ok(be);
    CHECK_INT(max_threads(), 1);
    om_backend_destroy(be);
    CHECK_INT(om_backend_create("cpu", 0, &be, &err), OPENMED_OK);
    CHECK_INT(om_cpu_threads(be), 1);
    om_backend_destroy(be);
    return check_finish("test_cpu_threads");
}
