/*
 * std_fds.h - process set-up shared by both programs.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef STD_FDS_H
#define STD_FDS_H

/*
 * fill_std_fds - make sure descriptors 0, 1 and 2 are open (on
 * /dev/null if they were closed).  A program started with one of them
 * closed would hand that number to its first socket and then read its
 * "input" from, or print its messages into, the connection.
 */
void fill_std_fds(void);

#endif /* STD_FDS_H */
