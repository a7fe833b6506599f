/* options.c: de-identification options, method names and their checks. */
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "deid/deid.h"
#include "deid/policy.h"

static const char *const method_names[] = {"mask", "remove", "replace", "hash", "shift_dates", "format_preserve"};
#define N_METHODS (sizeof method_names / sizeof method_names[0])

void openmed_deid_options_init(openmed_deid_options *options) {
    if (!options) return;
    memset(options, 0, sizeof *options);
    options->method = OPENMED_DEID_MASK;
    options->confidence_threshold = OPENMED_DEIDENTIFY_THRESHOLD;
    options->safety_sweep = 1;
    options->protect_clinical_terms = 1;
}

const char *openmed_deid_method_name(openmed_deid_method method) {
    return (unsigned)method < N_METHODS ? method_names[method] : "unknown";
}

openmed_status openmed_deid_method_parse(const char *name, openmed_deid_method *out, openmed_error *err) {
    if (!name || !out) return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "de-identification method: NULL argument");
    for (size_t i = 0; i < N_METHODS; i++) {
        if (!strcasecmp(name, method_names[i])) {
            *out = (openmed_deid_method)i;
            return OPENMED_OK;
        }
    }
    if (!strcasecmp(name, "aadhaar_mask"))
        return om_fail(err, OPENMED_ERR_UNSUPPORTED,
                       "de-identification method 'aadhaar_mask' is not implemented in OpenMed-C; use mask, remove, "
                       "replace, hash, shift_dates or format_preserve");
    return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT,
                   "unknown de-identification method '%.64s' (expected mask, remove, replace, hash, shift_dates or "
                   "format_preserve)", name);
}

int om_deid_shifts_dates(const openmed_deid_options *o) {
    if (o->method == OPENMED_DEID_SHIFT_DATES) return 1;
    if (!o->policy) return 0;
    for (int c = 0; c < OM_PHI_N_CLASSES; c++)
        if (o->policy->classes[c] == OM_ACT_SHIFT_DATES) return 1;
    for (size_t i = 0; i < o->policy->n_labels; i++)
        if (o->policy->labels[i].action == OM_ACT_SHIFT_DATES) return 1;
    return 0;
}

openmed_status om_deid_check_options(const openmed_deid_options *o, const char *what, openmed_error *err) {
    if ((unsigned)o->method >= N_METHODS)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT,
                       "%s: unknown de-identification method %d (expected mask, remove, replace, hash, shift_dates or "
                       "format_preserve)", what, (int)o->method);
    if (!(o->confidence_threshold >= 0.0f && o->confidence_threshold <= 1.0f))
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: confidence_threshold %g is outside [0, 1]", what,
                       (double)o->confidence_threshold);
    if ((o->date_shift_days || o->date_shift_seed || o->patient_key || o->date_shift_max_days) && !om_deid_shifts_dates(o))
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT,
                       "%s: date_shift_days, date_shift_seed, patient_key and date_shift_max_days need method shift_dates",
                       what);
    if (o->date_shift_days < -OM_MAX_DATE_SHIFT || o->date_shift_days > OM_MAX_DATE_SHIFT)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: date_shift_days %d is outside [-%d, %d]", what,
                       o->date_shift_days, OM_MAX_DATE_SHIFT, OM_MAX_DATE_SHIFT);
    if (o->date_shift_max_days < 0 || o->date_shift_max_days > OM_MAX_DATE_SHIFT)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: date_shift_max_days %d is outside [1, %d]", what,
                       o->date_shift_max_days, OM_MAX_DATE_SHIFT);
    if (o->patient_key && !(o->secret && o->secret_len))
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT,
                       "%s: patient_key needs a secret key (a random one would give each run other shifts)", what);
    if (o->patient_key && o->date_shift_seed)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: give patient_key or date_shift_seed, not both", what);
    if (o->secret_len && !o->secret)
        return om_fail(err, OPENMED_ERR_INVALID_ARGUMENT, "%s: secret is NULL with length %zu", what, o->secret_len);
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
