/*
 * procfs.h - what the kernel says about a process or a port, read from
 * /proc (Linux), and this process's own descriptor limit.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TEST_PROCFS_H
#define TEST_PROCFS_H

#include <sys/types.h>

/* Wait until something listens on TCP port `port` of this host, looking
 * at the kernel's table (Linux /proc/net/tcp*), never touching the port.
 * Returns 1, or 0 after timeout_ms. */
int wait_listening(int port, int timeout_ms);

/* 1 if the kernel's table /proc/net/FILE (tcp, tcp6, udp, udp6) lists a
 * socket on local port `port`: in LISTEN for TCP, in any state for UDP
 * (udp 1); with inode not 0, only the socket of that inode. */
int proc_net_lists(const char *file, int port, int udp, unsigned long inode);

/* 1 if one of process pid's descriptors links to a target (as readlink
 * gives it: "socket:[123]", "anon_inode:[eventpoll]", a path) for which
 * match(target, arg) is true; 0 if none; -1 if there is no such process. */
int proc_fd_find(pid_t pid, int (*match)(const char *target, void *arg),
                 void *arg);

/* Make sure this process may hold n descriptors (raising its soft
 * limit); fails the test if the hard limit is lower. */
void want_fds(unsigned long n);

/* Resident memory of a process in KiB (VmRSS), or -1. */
long proc_rss_kb(pid_t pid);

/* CPU time (user + system) a process has used, in milliseconds, or -1. */
long proc_cpu_ms(pid_t pid);

#endif /* TEST_PROCFS_H */
