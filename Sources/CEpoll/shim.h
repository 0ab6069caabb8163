#ifndef SHOAL_CEPOLL_SHIM_H
#define SHOAL_CEPOLL_SHIM_H
/* epoll(7) for the director's epoll forwarding engine (Glibc's Swift module does not include it). */
#include <sys/epoll.h>
#endif
