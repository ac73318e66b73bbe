/* tests/unit/promtool_check.h: feed an exposition to the reference parser, `promtool check
 * metrics` (Debian package prometheus; PROMTOOL_PATH is set by the test's cmake). Include after
 * <cmocka.h>. */
#ifndef TESTS_UNIT_PROMTOOL_CHECK_H
#define TESTS_UNIT_PROMTOOL_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs `promtool check metrics` over text (it reads stdin); returns its exit code and puts what
 * it printed (parse errors and lint problems, both making it exit non-zero) into out. */
static inline int promtool_check(const char *text, char *out, size_t cap)
{
    char path[] = "/tmp/tdsprobe-promtool-XXXXXX", cmd[512];
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
    snprintf(cmd, sizeof(cmd), "'%s' check metrics < '%s' 2>&1", PROMTOOL_PATH, path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t len = fread(out, 1, cap - 1, p);
    out[len] = '\0';
    int status = pclose(p);
    unlink(path);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

#endif
