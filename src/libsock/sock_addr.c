/*
 * sock_addr.c - naming a process on the network: from a host and port the
 * user typed to socket addresses (resolve), and from a socket address back
 * to "IP:PORT" or "unix:PATH" text (format).
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>

#include "sock_internal.h"

/* getaddrinfo's EAI_* codes are not errno values; pick the nearest. */
static int gai_errno(int gai, int sys_errno)
{
    switch (gai) {
    case EAI_SYSTEM: return sys_errno;
    case EAI_AGAIN:  return EAGAIN;
    case EAI_MEMORY: return ENOMEM;
    case EAI_NONAME:
#ifdef EAI_NODATA
    case EAI_NODATA:
#endif
    case EAI_FAIL:   return ENOENT;
    default:         return EINVAL;
    }
}

struct addrinfo *sock_resolve(const char *host, const char *port, int family,
                              int flags, struct sock_err *why)
{
    return sock__resolve_type(host, port, family, SOCK_STREAM, flags, why);
}

struct addrinfo *sock__resolve_type(const char *host, const char *port,
                                    int family, int socktype, int flags,
                                    struct sock_err *why)
{
    struct addrinfo hints, *list = NULL;
    int gai, err;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = family;
    hints.ai_socktype = socktype;
    hints.ai_flags = flags;

    gai = getaddrinfo(host, port, &hints, &list);
    if (gai == 0)
        return list;

    err = gai_errno(gai, errno);
    if (why != NULL) {
        char what[300], sys[128];
        const char *reason = gai_strerror(gai);

        if (gai == EAI_SYSTEM && strerror_r(err, sys, sizeof sys) == 0)
            reason = sys;
        /* Literal IPv6 hosts get brackets so the port stays readable. */
        if (host != NULL && strchr(host, ':') != NULL)
            snprintf(what, sizeof what, "[%s]:%s", host, port);
        else
            snprintf(what, sizeof what, "%s:%s", host != NULL ? host : "*",
                     port);
        sock__err_text(why, "resolve", what, reason);
        why->gai = gai;
    }
    errno = err;
    return NULL;
}

/* "unix:/path", "unix:@name", "unix:(unnamed)": a local address. */
static int local_text(const struct sockaddr *sa, socklen_t len, char *out,
                      size_t size)
{
    const struct sockaddr_un *sun = (const struct sockaddr_un *)sa;
    size_t off = offsetof(struct sockaddr_un, sun_path);
    size_t n = len > off ? (size_t)len - off : 0, i;
    const char *p = sun->sun_path;
    char text[SOCK_ADDR_TEXT_MAX];
    int abstract;

    if (n > sizeof sun->sun_path)
        n = sizeof sun->sun_path;
    /* Linux's abstract names: a NUL, then the name (all NULs is no name
     * at all, which is how other systems may show an unnamed socket). */
    abstract = n > 1 && p[0] == '\0';
    for (i = 1; abstract && i < n && p[i] == '\0'; i++)
        ;
    abstract = abstract && i < n;
    if (n == 0 || (p[0] == '\0' && !abstract)) {
        /* Never bound: Linux gives just the family, others a NUL path. */
        snprintf(text, sizeof text, "unix:(unnamed)");
    } else {
        size_t k = (size_t)snprintf(text, sizeof text, "unix:%s",
                                    abstract ? "@" : "");

        /* A path ends at its NUL; an abstract name is all n bytes. */
        for (i = abstract ? 1 : 0; i < n && (abstract || p[i] != '\0'); i++) {
            char c = p[i];

            if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
                c = '?';
            text[k++] = c;
        }
        text[k] = '\0';
    }
    n = strlen(text);
    if (n >= size) {
        errno = ENOSPC;
        return -1;
    }
    memcpy(out, text, n + 1);
    return 0;
}

int sock_addr_text(const struct sockaddr *sa, socklen_t len, char *out,
                   size_t size)
{
    char host[SOCK_ADDR_TEXT_MAX]; /* POSIX has no NI_MAXHOST */
    unsigned port;
    int n;
    struct sockaddr_in v4;

    if (size > 0)
        out[0] = '\0';
    if (sa == NULL || len < (socklen_t)sizeof(sa_family_t)) {
        errno = EINVAL;
        return -1;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

        if (len < (socklen_t)sizeof *s6) {
            errno = EINVAL;
            return -1;
        }
        if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
            /* ::ffff:a.b.c.d is an IPv4 client on a dual-stack socket. */
            memset(&v4, 0, sizeof v4);
            v4.sin_family = AF_INET;
            v4.sin_port = s6->sin6_port;
            memcpy(&v4.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
            sa = (const struct sockaddr *)&v4;
            len = sizeof v4;
        }
    } else if (sa->sa_family == AF_INET) {
        if (len < (socklen_t)sizeof(struct sockaddr_in)) {
            errno = EINVAL;
            return -1;
        }
    } else if (sa->sa_family == AF_UNIX) {
        return local_text(sa, len, out, size);
    } else {
        errno = EAFNOSUPPORT;
        return -1;
    }

    /* NI_NUMERICHOST: never a DNS lookup; keeps a scope as "%eth0". */
    if (getnameinfo(sa, len, host, sizeof host, NULL, 0, NI_NUMERICHOST) != 0) {
        errno = EINVAL;
        return -1;
    }
    port = sa->sa_family == AF_INET
               ? ntohs(((const struct sockaddr_in *)sa)->sin_port)
               : ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
    n = snprintf(out, size, sa->sa_family == AF_INET6 ? "[%s]:%u" : "%s:%u",
                 host, port);
    if (n < 0 || (size_t)n >= size) {
        if (size > 0)
            out[0] = '\0';
        errno = ENOSPC;
        return -1;
    }
    return 0;
}

void sock__err_addr(struct sock_err *why, const char *step,
                    const struct sockaddr *sa, socklen_t salen, int err)
{
    char where[SOCK_ADDR_TEXT_MAX] = "";

    if (why != NULL && sa != NULL &&
        sock_addr_text(sa, salen, where, sizeof where) == -1)
        snprintf(where, sizeof where, "(%s address)",
                 sock__family_name(sa->sa_family));
    sock__err_errno(why, step, where, err);
}
