/* options.c: de-identification options, method names and their checks. */
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "deid/deid.h"

static const char *const method_names[] = {"mask", "remove", "replace", "hash", "shift_dates"};

void openmed_deid_options_init(openmed_deid_options *options) {
    if (!options) return;
    memset(options, 0, sizeof *options);
    options->method = OPENMED_DEID_MASK;
    options->confidence_threshold = OPENMED_DEIDENTIFY_THRESHOLD;
    options->safety_sweep = 1;
    options->keep_mapping = 0;
}

const char *openmed_deid_method_name(openmed_deid_method method) {
    return (unsigned)method < sizeof method_names / sizeof method_names[0] ? method_names[method] : "unknown";
}

openmed_status openmed_deid_method_parse(const char *name, openmed_deid_method *out, openmed_error *err) {
    if (!name || !out) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "de-identification method: NULL argument");
    for (size_t i = 0; i < sizeof method_names / sizeof method_names[0]; i++) {
        if (!strcasecmp(name, method_names[i])) {
            *out = (openmed_deid_method)i;
            return OPENMED_OK;
        }
    }
    if (!strcasecmp(name, "format_preserve") || !strcasecmp(name, "aadhaar_mask"))
        return om_fail(err, OPENMED_ERR_UNSUPPORTED,
                       "de-identification method '%s' is not implemented in OpenMed-C; use mask, remove, replace, "
                       "hash or shift_dates", name);
    return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT,
                   "unknown de-identification method '%.64s' (expected mask, remove, replace, hash or shift_dates)",
                   name);
}

openmed_status om_deid_check_options(const openmed_deid_options *o, const char *what, openmed_error *err) {
    if ((unsigned)o->method >= sizeof method_names / sizeof method_names[0])
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT,
                       "%s: unknown de-identification method %d (expected mask, remove, replace, hash or shift_dates)", what,
                       (int)o->method);
    if (!(o->confidence_threshold >= 0.0f && o->confidence_threshold <= 1.0f))
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: confidence_threshold %g is outside [0, 1]", what,
                       (double)o->confidence_threshold);
    if ((o->date_shift_days || o->date_shift_seed) && o->method != OPENMED_DEID_SHIFT_DATES)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: date_shift_days and date_shift_seed need method shift_dates",
                       what);
    if (o->date_shift_days < -OM_MAX_DATE_SHIFT || o->date_shift_days > OM_MAX_DATE_SHIFT)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: date_shift_days %d is outside [-%d, %d]", what,
                       o->date_shift_days, OM_MAX_DATE_SHIFT, OM_MAX_DATE_SHIFT);
    const char *const *lists[2] = {o->deny_list, o->allow_list};
    size_t counts[2] = {o->n_deny_list, o->n_allow_list};
    for (int l = 0; l < 2; l++) {
        if (counts[l] && !lists[l])
            return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: %s_list is NULL with %zu entries", what,
                           l ? "allow" : "deny", counts[l]);
        for (size_t i = 0; i < counts[l]; i++)
            if (!lists[l][i] || !lists[l][i][0])
                return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: %s_list entry %zu is empty", what,
                               l ? "allow" : "deny", i);
    }
    return OPENMED_OK;
}
