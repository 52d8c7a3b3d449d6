/*
 * check.h — the unit tests' whole framework.
 *
 * A test file defines functions `static void test_x(void)` and lists them in
 * main with RUN(test_x).  CHECK records a failure with file:line and goes on;
 * each RUN prints "PASS name" or "FAIL name", which tests/run.sh counts.
 */
#ifndef SL_TEST_CHECK_H
#define SL_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failed_now;
static int check_failures;

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            check_failed_now = 1;                                                   \
        }                                                                           \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                          \
    do {                                                                            \
        long long va_ = (long long)(a), vb_ = (long long)(b);                       \
        if (va_ != vb_) {                                                           \
            fprintf(stderr, "  %s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, \
                    #a, va_, vb_);                                                  \
            check_failed_now = 1;                                                   \
        }                                                                           \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                          \
    do {                                                                            \
        const char *sa_ = (a), *sb_ = (b);                                          \
        if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0) {                                \
            fprintf(stderr, "  %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__,      \
                    __LINE__, #a, sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)");      \
            check_failed_now = 1;                                                   \
        }                                                                           \
    } while (0)

#define CHECK_MEM(a, b, n) CHECK(memcmp((a), (b), (n)) == 0)

#define RUN(fn)                                                                     \
    do {                                                                            \
        check_failed_now = 0;                                                       \
        fn();                                                                       \
        printf("%s %s\n", check_failed_now ? "FAIL" : "PASS", #fn);                 \
        check_failures += check_failed_now;                                         \
        fflush(stdout);                                                             \
    } while (0)

#define CHECK_DONE() (check_failures ? 1 : 0)

#endif
