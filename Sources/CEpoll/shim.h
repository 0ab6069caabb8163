#ifndef SHOAL_CEPOLL_SHIM_H
#define SHOAL_CEPOLL_SHIM_H
/* epoll(7) and sendfile(2) for the epoll engines (Glibc's Swift module does not include them). */
#include <sys/epoll.h>
#include <sys/sendfile.h>
#endif
