/* cpu_gemm.c: oneDNN's sgemm, loaded on first use, so that the OpenMP runtime it brings starts
 * with the library's default wait policy.
 *
 * libgomp reads OMP_WAIT_POLICY once, when it is loaded. Its default lets idle workers spin for a
 * while after every parallel region; on a machine shared with other work those spinning threads
 * take cores the others need (bench/threads_bench.sh: short texts next to one busy process ran
 * several times slower). Passive waiting measured as fast alone and far faster shared, on short
 * texts and long batches alike (README, Embedding). So oneDNN, and with it libgomp, is dlopen()ed
 * when the first CPU backend opens: when the process has not loaded libgomp already and neither
 * OMP_WAIT_POLICY nor GOMP_SPINCOUNT is set, OMP_WAIT_POLICY=passive is set just before. A program
 * that sets either variable, or runs its own OpenMP first, keeps its choice.
 *
 * ASan builds (OM_DNNL_LINKED, CMakeLists.txt) link oneDNN at start and call it directly:
 * LeakSanitizer cannot scan the thread-local storage of a dlopen()ed oneDNN. */
#include <dlfcn.h>
#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "backend/cpu/cpu.h"
#include "core/error.h"

typedef dnnl_status_t (*sgemm_fn)(char transa, char transb, dnnl_dim_t M, dnnl_dim_t N, dnnl_dim_t K, float alpha,
                                  const float *A, dnnl_dim_t lda, const float *B, dnnl_dim_t ldb, float beta, float *C,
                                  dnnl_dim_t ldc);

/* The shared objects tried, newest ABI first (Debian 12 ships libdnnl.so.2, later ones .so.3). */
static const char *const dnnl_names[] = {"libdnnl.so.3", "libdnnl.so.2", "libdnnl.so"};

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static void *dnnl_handle;
static sgemm_fn sgemm;
static char load_error[512];

static void load(void) {
#ifdef OM_DNNL_LINKED
    dnnl_handle = RTLD_DEFAULT;
    sgemm = dnnl_sgemm;
    return;
#endif
    void *gomp = dlopen("libgomp.so.1", RTLD_LAZY | RTLD_NOLOAD);
    if (gomp)
        dlclose(gomp); /* already running: its settings are the program's */
    else if (!getenv("OMP_WAIT_POLICY") && !getenv("GOMP_SPINCOUNT"))
        setenv("OMP_WAIT_POLICY", "passive", 0);
    size_t used = 0;
    for (size_t i = 0; i < sizeof dnnl_names / sizeof dnnl_names[0]; i++) {
        void *h = dlopen(dnnl_names[i], RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            const char *why = dlerror();
            if (used < sizeof load_error)
                used += (size_t)snprintf(load_error + used, sizeof load_error - used, "%s%s", used ? "; " : "",
                                         why ? why : dnnl_names[i]);
            continue;
        }
        sgemm = (sgemm_fn)dlsym(h, "dnnl_sgemm");
        if (sgemm) {
            dnnl_handle = h;
            return;
        }
        snprintf(load_error, sizeof load_error, "%s has no dnnl_sgemm", dnnl_names[i]);
        dlclose(h);
        return;
    }
}

openmed_status om_cpu_gemm_load(openmed_error *err) {
    pthread_once(&load_once, load);
    if (!sgemm) return om_fail(err, OPENMED_ERR_DEVICE, "cpu: oneDNN could not be loaded (%s)", load_error);
    return OPENMED_OK;
}

void *om_cpu_gemm_library(void) {
    pthread_once(&load_once, load);
    return dnnl_handle;
}

dnnl_status_t om_cpu_sgemm(char transa, char transb, dnnl_dim_t M, dnnl_dim_t N, dnnl_dim_t K, float alpha,
                           const float *A, dnnl_dim_t lda, const float *B, dnnl_dim_t ldb, float beta, float *C,
                           dnnl_dim_t ldc) {
    pthread_once(&load_once, load);
    if (!sgemm) return dnnl_runtime_error;
    return sgemm(transa, transb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
