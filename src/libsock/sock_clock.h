/*
 * sock_clock.h - milliseconds on a clock that never jumps, for every
 * deadline in libsock and the programs (connect timeouts, idle clients,
 * draining).  Part of libsock.a but not of its public header.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef SOCK_CLOCK_H
#define SOCK_CLOCK_H

/* Milliseconds since some fixed point: only differences mean anything. */
long long sock_clock_ms(void);

#endif /* SOCK_CLOCK_H */
