/* public_api.c: the privacy-filter functions of include/openmed.h (privacy filter section). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "openmed.h"
#include "hub/privacy_routing.h"

int openmed_is_privacy_filter(const char *name_or_path) { return om_privacy_filter_route(name_or_path); }

openmed_status openmed_privacy_filter_resolve(const char *name_or_path, char *out, size_t out_size,
                                              openmed_error *err) {
    int substituted;
    return om_privacy_filter_resolve(name_or_path, out, out_size, &substituted, err);
}

openmed_label_decoder openmed_model_default_decoder(const struct openmed_model *model) {
    const char *type = model ? openmed_model_type(model) : NULL;
    /* "openai_privacy_filter" (and its aliases) reads as the name "openai-privacy-filter" */
    return type && om_privacy_filter_name(type) ? OPENMED_DECODER_VITERBI : OPENMED_DECODER_ARGMAX;
}

openmed_status openmed_label_decoder_parse(const char *name, openmed_label_decoder *out, openmed_error *err) {
    if (name && strcasecmp(name, "argmax") == 0) {
        *out = OPENMED_DECODER_ARGMAX;
        return OPENMED_OK;
    }
    if (name && strcasecmp(name, "viterbi") == 0) {
        *out = OPENMED_DECODER_VITERBI;
        return OPENMED_OK;
    }
    return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "unknown decoder \"%s\" (expected argmax or viterbi)",
                   name ? name : "(null)");
}

const char *openmed_label_decoder_name(openmed_label_decoder decoder) {
    return decoder == OPENMED_DECODER_VITERBI ? "viterbi" : decoder == OPENMED_DECODER_ARGMAX ? "argmax" : "unknown";
}
