#ifndef SHOAL_CLINUXFS_SHIM_H
#define SHOAL_CLINUXFS_SHIM_H
/* Linux calls Glibc's Swift module does not import: statfs(2) (the filesystem's magic) and eventfd(2). */
#ifdef __linux__
#include <sys/vfs.h>
#include <sys/eventfd.h>

/* The statfs f_type of the filesystem holding path, in *magic; -1 with errno on failure. */
static inline int shoal_statfs_type(const char *path, unsigned long *magic) {
    struct statfs info;
    if (statfs(path, &info) != 0) return -1;
    *magic = (unsigned long)info.f_type;
    return 0;
}

/* A non-blocking, close-on-exec eventfd; -1 with errno on failure. */
static inline int shoal_eventfd(void) {
    return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

/* Adds 1 to the eventfd's counter (wakes a poll on it). */
static inline int shoal_eventfd_signal(int fd) {
    return eventfd_write(fd, 1);
}
#endif
#endif
