/*
 * report.c - what loadgen measures and says: the clocks (wall and its
 * own CPU), and the one result line on stdout with its exit status.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <time.h>
#include <sys/resource.h>

#include "loadgen.h"

long long mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double mono_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* loadgen's own CPU time, user and system: where it is close to the
 * run's time, the rate is loadgen's limit as much as the server's. */
double cpu_s(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) == -1)
        return 0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/*
 * The result: one line, "ok" or "fail" then key=value fields (run.sh
 * reads them by name), the transport's own last, and on failure the
 * first error quoted.  Returns the exit status: 0, 1 errors, 3 the time
 * limit ran out.
 */
int report(struct lg *g, const struct result *r)
{
    double t0 = r->t0, t1 = r->t1;
    int rc;

    if (g->timed_out && g->errors == 0)
        snprintf(g->first, sizeof g->first, "time limit of %.0f s reached in phase %s",
                 (double)g->limit_ms / 1000, g->phase);
    rc = g->timed_out ? 3 : g->errors ? 1 : 0;
    if (t1 < t0)
        t1 = t0;   /* the work never ended */
    printf("%s mode=%s proto=%s clients=%u", rc ? "fail" : "ok", mode_name[g->mode],
           proto_name[g->proto], g->clients);
    if (g->mode == M_CHURN)
        printf(" duration=%g", g->duration);
    else
        printf(" lines=%lu len=%zu", g->lines, g->len);
    if (g->mode == M_IDLE)
        printf(" active=%s checked=%u", g->has_active ? mode_name[g->active] : "none",
               r->checked);
    printf(" ops=%llu secs=%.6f rate=%.0f cpu=%.3f errors=%lu", r->ops, t1 - t0,
           t1 > t0 ? (double)r->ops / (t1 - t0) : 0.0, r->c1 - r->c0, g->errors);
    if (g->tp->report != NULL)
        g->tp->report(g, stdout);
    if (rc)
        printf(" first=\"%s\"", g->first);
    printf("\n");
    fflush(stdout);
    return rc;
}
