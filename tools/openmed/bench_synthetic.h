/* bench_synthetic.h: `openmed bench --synthetic BxS`, a fixed-shape forward-pass benchmark. */
#ifndef OM_CLI_BENCH_SYNTHETIC_H
#define OM_CLI_BENCH_SYNTHETIC_H

#include <stdio.h>

#include "openmed.h"

/* "8x128" -> windows 8, seq 128; -1 for anything else. */
int cli_parse_synthetic(const char *spec, int *windows, int *seq);

/* Load the model at model_path with `mo`, run one warm-up and `runs` timed forward passes of windows
 * x seq token ids, write tokens_per_s (median) and the rest to `out` as text or JSON, the model called
 * model_name; returns the exit code. */
int cli_bench_synthetic(const char *model_path, const char *model_name, const openmed_model_options *mo, int windows,
                        int seq, int runs, int json, FILE *out);

#endif
