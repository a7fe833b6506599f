/* progress.c: progress with rate and ETA on a terminal's standard error. */
#include "progress.h"

#include <stdio.h>
#include <unistd.h>

#include "clock.h"

void cli_progress_format(char *out, size_t size, size_t done, size_t total, const char *unit, double elapsed) {
    enum { WIDTH = 24 };
    char bar[WIDTH + 1];
    size_t filled = total ? done * WIDTH / total : WIDTH;
    for (size_t i = 0; i < WIDTH; i++) bar[i] = i < filled ? '#' : '.';
    bar[WIDTH] = '\0';
    double rate = elapsed > 0 ? (double)done / elapsed : 0.0;
    char eta[32] = "--:--";
    if (done >= total) {
        long s = (long)(elapsed + 0.5);
        snprintf(eta, sizeof eta, "%ld:%02ld", s / 60, s % 60);
    } else if (rate > 0) {
        long s = (long)((double)(total - done) / rate + 0.5);
        if (s >= 3600) snprintf(eta, sizeof eta, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
        else snprintf(eta, sizeof eta, "%ld:%02ld", s / 60, s % 60);
    }
    snprintf(out, size, "[%s] %zu/%zu %s  %.1f/s  %s %s", bar, done, total, unit, rate, done >= total ? "in" : "ETA",
             eta);
}

static void draw(cli_progress *p, double now) {
    char line[160];
    cli_progress_format(line, sizeof line, p->done, p->total, p->unit, now - p->start);
    fprintf(stderr, "\r%s\033[K", line);
    fflush(stderr);
    p->last_draw = now;
}

void cli_progress_start(cli_progress *p, size_t total, const char *unit) {
    p->on = total > 1 && isatty(STDERR_FILENO);
    p->total = total;
    p->done = 0;
    p->unit = unit;
    p->start = cli_now_seconds();
    p->last_draw = 0;
    if (p->on) draw(p, p->start);
}

void cli_progress_add(cli_progress *p, size_t n) {
    p->done += n;
    if (!p->on) return;
    double now = cli_now_seconds();
    if (now - p->last_draw >= 0.1 || p->done >= p->total) draw(p, now);
}

void cli_progress_hide(cli_progress *p) {
    if (!p->on) return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    p->last_draw = 0;
}

void cli_progress_end(cli_progress *p) {
    if (!p->on) return;
    if (p->done < p->total) draw(p, cli_now_seconds()); /* a run cut short: show where */
    fputc('\n', stderr);
    p->on = 0;
}
