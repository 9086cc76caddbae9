/* Shared by the fuzz targets: silence stdout once, and put the input in a
 * temporary file (the code under test reads files by path). */
#ifndef TESTS_FUZZ_INPUT_H
#define TESTS_FUZZ_INPUT_H

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* Returns 0 with path filled (unlink it afterwards), or -1. */
static int fuzz_input_file(const uint8_t *data, size_t size, char *path)
{
    static int quiet;
    if (!quiet) {
        int nul = open("/dev/null", O_WRONLY);
        dup2(nul, 1);      /* stderr stays: libFuzzer reports there */
        quiet = 1;
    }
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return -1;
    }
    close(fd);
    return 0;
}

#endif
