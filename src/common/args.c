/*
 * args.c - the command-line reader of both programs (args.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

void args_init(struct args_iter *it, int argc, char **argv)
{
    it->argc = argc;
    it->argv = argv;
    it->i = 1;
    it->bundle = NULL;
    it->operands_only = 0;
}

static int take_value(struct args_iter *it, const char *shown,
                      const char **value, char *err, size_t errsize)
{
    if (it->i >= it->argc) {
        snprintf(err, errsize, "option '%s' needs a value", shown);
        return ARGS_BAD;
    }
    *value = it->argv[it->i++];
    return 0;
}

static int next_short(struct args_iter *it, const struct args_opt *opts,
                      const char **value, char *err, size_t errsize)
{
    char c = *it->bundle++;
    char shown[3] = { '-', c, '\0' };
    const struct args_opt *o;

    for (o = opts; o->id != 0; o++)
        if (o->letter != 0 && o->letter == c)
            break;
    if (o->id == 0) {
        it->bundle = NULL;
        snprintf(err, errsize, "unknown option '%s'", shown);
        return ARGS_BAD;
    }
    if (o->has_value) {
        if (*it->bundle != '\0') {      /* "-bADDR" */
            *value = it->bundle;
            it->bundle = NULL;
            return o->id;
        }
        it->bundle = NULL;
        return take_value(it, shown, value, err, errsize) ? ARGS_BAD : o->id;
    }
    if (*it->bundle == '\0')
        it->bundle = NULL;
    return o->id;
}

static int next_long(struct args_iter *it, const char *arg,
                     const struct args_opt *opts, const char **value,
                     char *err, size_t errsize)
{
    const char *name = arg + 2;
    const char *eq = strchr(name, '=');
    size_t n = eq != NULL ? (size_t)(eq - name) : strlen(name);
    const struct args_opt *o;

    for (o = opts; o->id != 0; o++)
        if (o->name != NULL && strlen(o->name) == n &&
            memcmp(o->name, name, n) == 0)
            break;
    if (o->id == 0) {
        snprintf(err, errsize, "unknown option '--%.*s'", (int)(n > 40 ? 40 : n),
                 name);
        return ARGS_BAD;
    }
    if (!o->has_value) {
        if (eq != NULL) {
            snprintf(err, errsize, "option '--%s' takes no value", o->name);
            return ARGS_BAD;
        }
        return o->id;
    }
    if (eq != NULL) {
        *value = eq + 1;
        return o->id;
    }
    {
        char shown[64];
        snprintf(shown, sizeof shown, "--%s", o->name);
        return take_value(it, shown, value, err, errsize) ? ARGS_BAD : o->id;
    }
}

int args_next(struct args_iter *it, const struct args_opt *opts,
              const char **value, char *err, size_t errsize)
{
    const char *arg;

    *value = NULL;
    if (it->bundle != NULL)
        return next_short(it, opts, value, err, errsize);
    if (it->i >= it->argc)
        return ARGS_END;
    arg = it->argv[it->i++];
    if (it->operands_only || arg[0] != '-' || arg[1] == '\0') {
        *value = arg;            /* "-" alone is an operand, as usual */
        return ARGS_OPERAND;
    }
    if (arg[1] == '-') {
        if (arg[2] == '\0') {
            it->operands_only = 1;
            return args_next(it, opts, value, err, errsize);
        }
        return next_long(it, arg, opts, value, err, errsize);
    }
    it->bundle = arg + 1;
    return next_short(it, opts, value, err, errsize);
}

int args_family(int *family, int want, char *err, size_t errsize)
{
    if (*family != 0 && *family != want) {   /* 0 is AF_UNSPEC */
        snprintf(err, errsize, "options '-4' and '-6' exclude each other");
        return -1;
    }
    *family = want;
    return 0;
}

int args_host(const char *v, char *buf, size_t size, const char **host,
              const char *what, char *err, size_t errsize)
{
    size_t n = strlen(v);

    if (n == 0) {
        snprintf(err, errsize, "%s must not be empty", what);
        return -1;
    }
    if (v[0] != '[' && v[n - 1] != ']') {
        *host = v;
        return 0;
    }
    if (v[0] != '[' || v[n - 1] != ']' || n < 3 ||
        memchr(v + 1, ':', n - 2) == NULL || memchr(v + 1, '[', n - 2) != NULL ||
        memchr(v + 1, ']', n - 2) != NULL) {
        snprintf(err, errsize,
                 "%s '%.60s': brackets go around an IPv6 address only, as in [::1]",
                 what, v);
        return -1;
    }
    if (n - 2 >= size) {        /* room for the address and its NUL */
        snprintf(err, errsize, "%s '%.40s...' is too long", what, v);
        return -1;
    }
    memcpy(buf, v + 1, n - 2);
    buf[n - 2] = '\0';
    *host = buf;
    return 0;
}

int args_number(const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    if (s == NULL || *s < '0' || *s > '9')   /* no sign, no blanks */
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int args_local(const char *v, const char **local, char *err, size_t errsize)
{
    if (v[0] == '\0') {
        snprintf(err, errsize, "option '-U' needs a path");
        return -1;
    }
    *local = v;
    return 0;
}

int args_one_kind(const char *local, int udp, char *err, size_t errsize)
{
    if (local != NULL && udp) {
        snprintf(err, errsize, "options '-U' and '-u' cannot be used together "
                 "(-U is a local stream socket, -u UDP)");
        return -1;
    }
    return 0;
}
