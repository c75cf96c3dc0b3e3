/*
 * peer_wait.h - waiting for a peer program the test started (nc, java)
 * to be ready, by looking, never by sleeping: its socket bound to the
 * port, as the kernel lists it (Linux /proc/net), held by that process.
 * And which nc is installed.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef PEER_WAIT_H
#define PEER_WAIT_H

#include "testutil.h"

/*
 * Wait until process p holds a TCP socket listening on `port` (udp 0)
 * or a UDP socket bound to it (udp 1), on any local address.  Returns 1
 * then; 0 if p exited first (it is reaped, p->pid becomes 0: the port
 * was taken, say, and the caller may try another); -1 after timeout_ms.
 * A socket of another process on that port does not count, nor one the
 * test itself holds (the child has it until its exec).
 */
int peer_wait_bound(struct proc *p, int port, int udp, int timeout_ms);

/* The same for a local (AF_UNIX) stream socket listening at `path`,
 * which /proc/net/unix lists by its path: 1 once p holds it, 0 if p
 * exited first, -1 after timeout_ms.  (Its file appears at bind(), a
 * moment before listen(): a connect in between is refused.) */
int peer_wait_unix_listening(struct proc *p, const char *path,
                             int timeout_ms);

/* Find OpenBSD's nc on PATH (its -N, -U, -q are relied on); its full
 * path goes to full.  Another nc (ncat, traditional netcat), or none,
 * skips the test, or fails it under CI=true. */
void peer_need_openbsd_nc(char *full, size_t size);

#endif /* PEER_WAIT_H */
