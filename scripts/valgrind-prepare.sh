# Sourced by the profile-*.sh scripts: the two workarounds Valgrind 3.19 needs for Shoal's Swift 6.3 binaries.
#   valgrind_prepare DIR BINARY
# - Valgrind writes to the mask it is given by sigsuspend(2); libdispatch's main thread passes a constant one and
#   valgrind dies of SIGSEGV. DIR/sigsuspend-copy.so (for LD_PRELOAD) passes a copy on the stack instead.
# - Valgrind cannot read the DWARF 5 of Swift's builds ("possibly corrupted debuginfo"). DIR/shoal is a copy of
#   BINARY without debug information; the symbol table stays, so functions keep their names.
valgrind_prepare() {
    cat >"$1/sigsuspend-copy.c" <<'C'
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>
int sigsuspend(const sigset_t *mask) { sigset_t copy = *mask; return (int)syscall(SYS_rt_sigsuspend, &copy, 8); }
C
    gcc -O2 -shared -fPIC -o "$1/sigsuspend-copy.so" "$1/sigsuspend-copy.c"
    objcopy --strip-debug "$2" "$1/shoal"
}
