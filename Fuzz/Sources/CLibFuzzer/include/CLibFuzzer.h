#ifndef SHOAL_CLIBFUZZER_H
#define SHOAL_CLIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (compiler-rt), for a binary whose `main` is not libFuzzer's own.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
