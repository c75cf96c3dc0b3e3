/*
 * args.h - a small command-line reader shared by tcp-server and
 * tcp-client: short options that may be bundled ("-4q"), short options
 * with a value ("-b ADDR", "-bADDR"), long options ("--once",
 * "--timeout 5", "--timeout=5"), "--" to end options, and operands
 * anywhere.  Written here, not with getopt_long, so that both programs
 * parse the same way on every libc and the parser can be tested.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef ARGS_H
#define ARGS_H

#include <stddef.h>

struct args_opt {
    const char *name;  /* long name without "--", or NULL */
    char letter;       /* short letter, or 0 */
    int has_value;     /* 1 if the option takes a value */
    int id;            /* what args_next() returns for it, > 0 */
};

struct args_iter {
    int argc;
    char **argv;
    int i;              /* next argv element */
    const char *bundle; /* rest of a "-abc" bundle being read, or NULL */
    int operands_only;  /* after "--" */
};

/* What a program's parser found (server_args_parse, client_args_parse). */
enum args_result { ARGS_RUN, ARGS_HELP, ARGS_VERSION, ARGS_USAGE };

#define ARGS_END      (-1) /* nothing left */
#define ARGS_OPERAND    0  /* *value is an operand */
#define ARGS_BAD      (-2) /* usage error, explained in err */

void args_init(struct args_iter *it, int argc, char **argv);

/*
 * args_next - the next option or operand.  `opts` ends with an entry
 * whose id is 0.  Returns an option's id (its value, if any, in *value),
 * ARGS_OPERAND, ARGS_END, or ARGS_BAD with one line in err such as
 * "unknown option '-x'" or "option '--timeout' needs a value".
 */
int args_next(struct args_iter *it, const struct args_opt *opts,
              const char **value, char *err, size_t errsize);

/*
 * args_family - -4 or -6 was given: pin *family to `want` (AF_INET or
 * AF_INET6).  Repeating one is fine; giving both is a usage error.
 * Returns 0, or -1 with the reason in err.
 */
int args_family(int *family, int want, char *err, size_t errsize);

/*
 * args_host - take a host as users write it, an IPv6 literal possibly in
 * brackets ("[::1]", "[fe80::1%lo]", as in URLs and "[ADDR]:PORT").  The
 * brackets are removed: `v` is copied to buf (size bytes) without them,
 * and *host points to the name.  Without brackets *host is v itself.
 * `what` names the argument in err.  Returns 0, or -1 for an empty host,
 * an unmatched bracket or brackets around something that is not IPv6.
 */
int args_host(const char *v, char *buf, size_t size, const char **host,
              const char *what, char *err, size_t errsize);

/*
 * args_number - read a whole decimal number in [min, max] from s.
 * Returns 0, or -1 if s is empty, has other characters or is out of range.
 */
int args_number(const char *s, long min, long max, long *out);

/*
 * args_local - -U PATH was given: *local = v, the path (or @name) of a
 * local socket.  Returns 0, or -1 for an empty one (err says so).
 */
int args_local(const char *v, const char **local, char *err, size_t errsize);

/*
 * args_one_kind - -U and -u choose the socket's family and type; both at
 * once is a usage error.  Returns 0, or -1 with the reason in err.
 */
int args_one_kind(const char *local, int udp, char *err, size_t errsize);

#endif /* ARGS_H */
