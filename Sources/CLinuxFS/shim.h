#ifndef SHOAL_CLINUXFS_SHIM_H
#define SHOAL_CLINUXFS_SHIM_H
/* Linux calls Glibc's Swift module does not import: statfs(2) (the filesystem's magic), eventfd(2),
   glibc's mallopt(3) and setns(2) for a network namespace. */
#ifdef __linux__
#include <sys/vfs.h>
#include <sys/eventfd.h>
#include <malloc.h>
#include <sys/syscall.h>
#include <unistd.h>

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

/* glibc: blocks under mmap_threshold bytes come from the heaps, a heap keeps up to trim_threshold bytes free
   (both fixed: glibc's sliding thresholds stop), and threads share at most arenas heaps. 1 when glibc took
   all three, 0 otherwise. */
static inline int shoal_malloc_tune(int mmap_threshold, int trim_threshold, int arenas) {
    return mallopt(M_MMAP_THRESHOLD, mmap_threshold) == 1 && mallopt(M_TRIM_THRESHOLD, trim_threshold) == 1
        && mallopt(M_ARENA_MAX, arenas) == 1;
}

/* Moves the calling thread into the network namespace open at fd (CLONE_NEWNET); -1 with errno on failure. */
static inline int shoal_setns_net(int fd) {
    return (int)syscall(SYS_setns, fd, 0x40000000);
}
#endif
#endif
