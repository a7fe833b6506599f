/* check.h: the minimal assertion helpers every test program uses; a failed check is counted,
 * reported with file and line, and makes the program exit non-zero. */
#ifndef OM_TESTS_CHECK_H
#define OM_TESTS_CHECK_H

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Atomic: tests check from several threads at once (test_shared_model under ThreadSanitizer). */
static _Atomic int check_failures;
static _Atomic int check_count;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        check_count++;                                                                \
        if (!(cond)) {                                                                \
            check_failures++;                                                         \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);  \
        }                                                                             \
    } while (0)

#define CHECK_MSG(cond, ...)                                                          \
    do {                                                                              \
        check_count++;                                                                \
        if (!(cond)) {                                                                \
            check_failures++;                                                         \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);  \
            fprintf(stderr, __VA_ARGS__);                                             \
            fputc('\n', stderr);                                                      \
        }                                                                             \
    } while (0)

#define CHECK_INT(a, b)                                                                        \
    do {                                                                                       \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);                        \
        CHECK_MSG(check_a_ == check_b_, "%s = %lld, %s = %lld", #a, check_a_, #b, check_b_);   \
    } while (0)

#define CHECK_STR(a, b)                                                                         \
    do {                                                                                        \
        const char *check_a_ = (a), *check_b_ = (b);                                            \
        CHECK_MSG(check_a_ && check_b_ && strcmp(check_a_, check_b_) == 0, "\"%s\" != \"%s\"", \
                  check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)");              \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                                    \
    do {                                                                                         \
        double check_a_ = (a), check_b_ = (b);                                                   \
        CHECK_MSG(fabs(check_a_ - check_b_) <= (tol), "%s = %.9g, %s = %.9g", #a, check_a_, #b, \
                  check_b_);                                                                     \
    } while (0)

/* Print the summary and return the process exit code. */
static inline int check_finish(const char *name) {
    printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
    return check_failures ? 1 : 0;
}

#endif
