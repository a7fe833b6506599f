/* options.c: pipeline option defaults and the aggregation strategy names. */
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "openmed.h"

static const char *const aggregation_names[] = {"none", "simple", "first", "average", "max"};

const char *openmed_aggregation_name(openmed_aggregation aggregation) {
    if ((int)aggregation < 0 || (int)aggregation > OPENMED_AGGREGATION_MAX) return "unknown";
    return aggregation_names[aggregation];
}

openmed_status openmed_aggregation_parse(const char *name, openmed_aggregation *out, openmed_error *err) {
    for (int i = 0; i <= OPENMED_AGGREGATION_MAX; i++)
        if (name && strcasecmp(name, aggregation_names[i]) == 0) {
            *out = (openmed_aggregation)i;
            return OPENMED_OK;
        }
    return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT,
                   "aggregation strategy '%s': expected none, simple, first, average or max", name ? name : "(null)");
}

void openmed_pipeline_options_init(openmed_pipeline_options *o) {
    memset(o, 0, sizeof *o);
    o->aggregation = OPENMED_AGGREGATION_SIMPLE;
    o->stride = -1;
    o->batch_size = 8;
    o->ignore_labels = NULL;
    o->n_ignore_labels = 0;
    o->threshold = 0.0f;
    o->decoder = OPENMED_DECODER_ARGMAX;
    o->long_text = OPENMED_LONG_TEXT_ALL_WINDOWS; /* the whole text, as OpenMed and the CLI */
}
