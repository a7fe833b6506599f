/* cpu_threads.c: the CPU backend's one thread pool, the OpenMP team that oneDNN itself uses.
 *
 * oneDNN (Debian's build) runs its GEMM on libgomp. Running our own ops on a second pool would
 * leave two sets of spinning threads fighting for the cores, so the elementwise, normalization and
 * attention ops start their parallel regions on the same libgomp team, through its documented ABI
 * entry points, looked up at run time in the libgomp that oneDNN loaded (the library is not
 * compiled with -fopenmp; cpu_gemm.c loads oneDNN). Without libgomp everything runs on the calling
 * thread. The thread count is OpenMP's own unless one is given (om_cpu_gemm_threads_push). */
#include <dlfcn.h>
#include <pthread.h>
#include <unistd.h>

#include "backend/cpu/cpu.h"

typedef void (*gomp_parallel_fn)(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);
typedef int (*omp_get_int_fn)(void);
typedef void (*omp_set_int_fn)(int);

static gomp_parallel_fn gomp_parallel;
static omp_get_int_fn omp_thread_num;
static omp_get_int_fn omp_team_size;
static omp_set_int_fn omp_set_threads;
static omp_get_int_fn omp_max_threads;
static pthread_once_t resolve_once = PTHREAD_ONCE_INIT;

/* A symbol of the OpenMP runtime: the program's own when it has one, else the one oneDNN loaded
 * (cpu_gemm.c opens it locally, so it is reached through oneDNN's handle). */
static void *omp_symbol(void *dnnl, const char *name) {
    void *p = dlsym(RTLD_DEFAULT, name);
    return p || !dnnl ? p : dlsym(dnnl, name);
}

static void resolve(void) {
    void *dnnl = om_cpu_gemm_library(); /* loads oneDNN and libgomp first */
    gomp_parallel = (gomp_parallel_fn)omp_symbol(dnnl, "GOMP_parallel");
    omp_thread_num = (omp_get_int_fn)omp_symbol(dnnl, "omp_get_thread_num");
    omp_team_size = (omp_get_int_fn)omp_symbol(dnnl, "omp_get_num_threads");
    omp_set_threads = (omp_set_int_fn)omp_symbol(dnnl, "omp_set_num_threads");
    omp_max_threads = (omp_get_int_fn)omp_symbol(dnnl, "omp_get_max_threads");
    if (!omp_set_threads || !omp_max_threads) omp_set_threads = NULL, omp_max_threads = NULL;
    if (!gomp_parallel || !omp_thread_num || !omp_team_size) gomp_parallel = NULL;
}

int om_cpu_threads_available(void) {
    pthread_once(&resolve_once, resolve);
    return gomp_parallel != NULL;
}

static int cores_available(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0) return n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int om_cpu_default_threads(void) {
    pthread_once(&resolve_once, resolve);
    if (omp_max_threads) {
        int n = omp_max_threads(); /* libgomp: OMP_NUM_THREADS, else the cores of the affinity mask */
        if (n > 0) return n;
    }
    return cores_available();
}

int om_cpu_gemm_threads_push(int num_threads) {
    pthread_once(&resolve_once, resolve);
    if (num_threads <= 0 || !omp_set_threads) return 0;
    int current = omp_max_threads();
    if (current == num_threads) return 0;
    omp_set_threads(num_threads);
    return current;
}

void om_cpu_gemm_threads_restore(int saved) {
    if (saved > 0 && omp_set_threads) omp_set_threads(saved);
}

/* libgomp hands the job to its workers and joins them through its own futexes, which ThreadSanitizer
 * (libgomp is not instrumented) cannot see; in TSan builds the hand-off and the join are declared to
 * it, so the accesses of our ops on either side are checked with the right ordering. */
#if defined(__SANITIZE_THREAD__)
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define OM_TSAN_ACQUIRE(p) __tsan_acquire(p)
#define OM_TSAN_RELEASE(p) __tsan_release(p)
#else
#define OM_TSAN_ACQUIRE(p) ((void)(p))
#define OM_TSAN_RELEASE(p) ((void)(p))
#endif

typedef struct range_job {
    om_cpu_range_fn fn;
    void *ctx;
    int64_t n;
    int parts;
} range_job;

static void range_worker(void *p) {
    const range_job *job = p;
    OM_TSAN_ACQUIRE(p);
    /* The team may be smaller than asked (nested regions run on one thread): stride over parts. */
    int team = omp_team_size();
    int64_t chunk = (job->n + job->parts - 1) / job->parts;
    for (int64_t part = omp_thread_num(); part < job->parts; part += team) {
        int64_t begin = part * chunk, end = begin + chunk;
        if (end > job->n) end = job->n;
        if (begin < end) job->fn(job->ctx, begin, end);
    }
    OM_TSAN_RELEASE(p);
}

void om_cpu_parallel_for(int num_threads, int64_t n, int64_t grain, om_cpu_range_fn fn, void *ctx) {
    if (n <= 0) return;
    pthread_once(&resolve_once, resolve);
    int parts = num_threads;
    if (grain < 1) grain = 1;
    if ((int64_t)parts > n / grain) parts = (int)(n / grain);
    if (parts <= 1 || !gomp_parallel) {
        fn(ctx, 0, n);
        return;
    }
    range_job job = {fn, ctx, n, parts};
    OM_TSAN_RELEASE(&job);
    gomp_parallel(range_worker, &job, (unsigned)parts, 0);
    OM_TSAN_ACQUIRE(&job);
}
