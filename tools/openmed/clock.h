/* clock.h: the CLI's two clocks: a monotonic timer and OpenMed's ISO timestamps. */
#ifndef OPENMED_CLI_CLOCK_H
#define OPENMED_CLI_CLOCK_H

#include <stddef.h>

/* Seconds on a monotonic clock, for measuring durations. */
double cli_now_seconds(void);

/* Local time as "YYYY-MM-DDTHH:MM:SS.ffffff" (Python's datetime.now().isoformat()) into buf. */
void cli_iso_timestamp(char *buf, size_t size);

#endif
