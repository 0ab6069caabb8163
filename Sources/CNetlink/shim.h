#ifndef SHOAL_CNETLINK_SHIM_H
#define SHOAL_CNETLINK_SHIM_H
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/msg.h>
#include <netlink/errno.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <stdlib.h>

/* libnl's socket calls behind names Swift imports cleanly. Messages are built and parsed in Swift
   (DirectorIPVS); libnl opens the generic netlink socket, resolves the family and moves the bytes. */

/* A generic netlink socket, connected; NULL with *error set (a negative libnl error) on failure. */
static inline struct nl_sock *shoal_genl_open(int *error) {
    struct nl_sock *sock = nl_socket_alloc();
    if (sock == NULL) { *error = -NLE_NOMEM; return NULL; }
    int rc = genl_connect(sock);
    if (rc < 0) { nl_socket_free(sock); *error = rc; return NULL; }
    /* Dumps of large tables span many datagrams: peek at each one's size before reading it. */
    nl_socket_enable_msg_peek(sock);
    *error = 0;
    return sock;
}

static inline void shoal_genl_close(struct nl_sock *sock) { nl_socket_free(sock); }

/* The numeric id of a generic netlink family ("IPVS"), or a negative libnl error. */
static inline int shoal_genl_resolve(struct nl_sock *sock, const char *name) { return genl_ctrl_resolve(sock, name); }

/* The socket's port id (the nlmsg_pid replies carry). */
static inline unsigned int shoal_nl_local_port(struct nl_sock *sock) { return nl_socket_get_local_port(sock); }

/* Sends one complete netlink message; bytes sent or a negative libnl error. */
static inline int shoal_nl_send(struct nl_sock *sock, const void *bytes, size_t length) {
    return nl_sendto(sock, (void *)bytes, length);
}

/* Receives one datagram (several netlink messages) into a malloc'd buffer the caller frees with
   shoal_nl_free_buffer; the byte count, 0 at end of stream, or a negative libnl error. */
static inline int shoal_nl_receive(struct nl_sock *sock, unsigned char **buffer) {
    struct sockaddr_nl peer;
    *buffer = NULL;
    return nl_recv(sock, &peer, buffer, NULL);
}

static inline void shoal_nl_free_buffer(unsigned char *buffer) { free(buffer); }

/* libnl's text for one of its (negative or positive) error codes. */
static inline const char *shoal_nl_error_text(int error) { return nl_geterror(error); }

#endif
