/* progress.c: progress with rate and ETA on a terminal's standard error. */
#include "progress.h"

#include <stdio.h>
#include <unistd.h>

#include "clock.h"

/* "M:SS" or "H:MM:SS" of s seconds. */
static void format_duration(double seconds, char *out, size_t size) {
    long s = (long)(seconds + 0.5);
    if (s >= 3600) snprintf(out, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else snprintf(out, size, "%ld:%02ld", s / 60, s % 60);
}

/* "ETA M:SS" for what is left at `rate` per second ("ETA --:--" before any), "in M:SS" when done. */
static void format_eta(double done, double total, double rate, double elapsed, char *out, size_t size) {
    char t[32] = "--:--";
    if (done >= total) format_duration(elapsed, t, sizeof t);
    else if (rate > 0) format_duration((total - done) / rate, t, sizeof t);
    snprintf(out, size, "%s %s", done >= total ? "in" : "ETA", t);
}

/* WIDTH '#' or '.' for done of total (all '#' when total is 0). */
static void format_bar(double done, double total, char *bar, int width) {
    int filled = total > 0 ? (int)(done * width / total) : width;
    for (int i = 0; i < width; i++) bar[i] = i < filled ? '#' : '.';
    bar[width] = '\0';
}

void cli_progress_format(char *out, size_t size, size_t done, size_t total, const char *unit, double elapsed) {
    char bar[32], eta[48];
    format_bar((double)done, (double)total, bar, 24);
    double rate = elapsed > 0 ? (double)done / elapsed : 0.0;
    format_eta((double)done, (double)total, rate, elapsed, eta, sizeof eta);
    snprintf(out, size, "[%s] %zu/%zu %s  %.1f/s  %s", bar, done, total, unit, rate, eta);
}

void cli_format_bytes(uint64_t n, char *out, size_t size) {
    if (n >= 1000000000ull) snprintf(out, size, "%.1f GB", (double)n / 1e9);
    else if (n >= 1000000ull) snprintf(out, size, "%.1f MB", (double)n / 1e6);
    else snprintf(out, size, "%.1f kB", (double)n / 1e3);
}

void cli_progress_format_bytes(char *out, size_t size, const char *file, uint64_t done, uint64_t total, double elapsed) {
    char bar[40], have[32], all[32], rate_s[32], eta[48];
    format_bar((double)done, (double)total, bar, 30);
    double rate = elapsed > 0 ? (double)done / elapsed : 0.0;
    cli_format_bytes(done, have, sizeof have);
    cli_format_bytes(total, all, sizeof all);
    cli_format_bytes((uint64_t)rate, rate_s, sizeof rate_s);
    format_eta((double)done, (double)total, rate, elapsed, eta, sizeof eta);
    snprintf(out, size, "%-28.28s [%s] %5.1f%%  %s / %s  %s/s  %s", file, bar,
             total ? 100.0 * (double)done / (double)total : 100.0, have, all, rate_s, eta);
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
