#ifndef SHOAL_CCRYPT_SHIM_H
#define SHOAL_CCRYPT_SHIM_H
#include <crypt.h>
#include <string.h>

/* crypt_r with its state on the caller's side, so that concurrent calls are safe. */
static inline int shoal_crypt(const char *phrase, const char *setting, char *out, size_t out_len) {
    struct crypt_data data;
    memset(&data, 0, sizeof(data));
    const char *r = crypt_r(phrase, setting, &data);
    if (r == NULL || r[0] == '*' || strlen(r) + 1 > out_len) return -1;
    memcpy(out, r, strlen(r) + 1);
    return 0;
}
#endif
