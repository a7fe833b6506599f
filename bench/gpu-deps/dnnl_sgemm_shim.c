/* dnnl_sgemm_shim.c: a plain-C dnnl_sgemm (the only oneDNN function OpenMed-C calls) for the GPU
 * machine, whose image has no oneDNN and whose 64 MiB transfer limit leaves no room for the 40 MB
 * library. bench/gpu-check.sh builds it as libdnnl.so there, for the cpu backend that the cuda tests
 * compare against; everywhere else the real oneDNN is used. Row-major, as oneDNN's:
 * C = alpha op(A) op(B) + beta C, op(A) [M, K], op(B) [K, N]; beta == 0 ignores C's old values. */
#include <oneapi/dnnl/dnnl.h>
#include <stdlib.h>

dnnl_status_t dnnl_sgemm(char transa, char transb, dnnl_dim_t M, dnnl_dim_t N, dnnl_dim_t K, float alpha,
                         const float *A, dnnl_dim_t lda, const float *B, dnnl_dim_t ldb, float beta, float *C,
                         dnnl_dim_t ldc) {
    int ta = transa == 'T' || transa == 't', tb = transb == 'T' || transb == 't';
    if (M < 0 || N < 0 || K < 0) return dnnl_invalid_arguments;
#pragma omp parallel for schedule(static)
    for (dnnl_dim_t m = 0; m < M; m++) {
        float *c = C + m * ldc;
        float *acc = calloc((size_t)(N ? N : 1), sizeof *acc);
        if (!acc) continue;
        for (dnnl_dim_t k = 0; k < K; k++) {
            float a = ta ? A[k * lda + m] : A[m * lda + k];
            if (!tb) {
                const float *b = B + k * ldb;
                for (dnnl_dim_t n = 0; n < N; n++) acc[n] += a * b[n];
            } else {
                for (dnnl_dim_t n = 0; n < N; n++) acc[n] += a * B[n * ldb + k];
            }
        }
        for (dnnl_dim_t n = 0; n < N; n++) c[n] = alpha * acc[n] + (beta != 0.0f ? beta * c[n] : 0.0f);
        free(acc);
    }
    return dnnl_success;
}
