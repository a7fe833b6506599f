/* policy.h: de-identification policies (the JSON files of data/policies): an action per identifier class and
 * per label, a threshold ceiling, a mandatory sweep, keep_year. */
#ifndef OM_DEID_POLICY_H
#define OM_DEID_POLICY_H

#include "deid/labels.h"
#include "openmed.h"

typedef enum om_action {
    OM_ACT_METHOD = 0, /* the run's method */
    OM_ACT_MASK,
    OM_ACT_REMOVE,
    OM_ACT_REPLACE,
    OM_ACT_HASH,
    OM_ACT_SHIFT_DATES,
    OM_ACT_FORMAT_PRESERVE,
    OM_ACT_KEEP,
    OM_ACT_AGE_OVER_89, /* ages >= 90 -> "90+", younger ages kept */
    OM_ACT_ZIP3,        /* "02139" -> "021**" ("000**" for restricted three-digit areas) */
    OM_ACT_N
} om_action;

#define OM_POLICY_MAX_LABELS 64

struct openmed_policy {
    char name[64];
    char description[512];
    float confidence_threshold; /* < 0: none */
    int safety_sweep;           /* 1: the sweep always runs */
    int keep_year;              /* 1: dates keep their year */
    om_action classes[OM_PHI_N_CLASSES];
    struct {
        char label[64];
        om_action action;
    } labels[OM_POLICY_MAX_LABELS];
    size_t n_labels;
};

/* "mask", "keep", ... and back (-1 when unknown). */
const char *om_action_name(om_action a);
int om_action_parse(const char *name);

/* The action for a label under a policy (NULL policy: OM_ACT_METHOD for every label). */
om_action om_policy_action(const openmed_policy *policy, const char *label);

#endif
