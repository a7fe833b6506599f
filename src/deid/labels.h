/* labels.h: what kind of identifier a label names, whatever model or detector wrote it
 * ("B-FIRST_NAME", "first_name", "private_person", "PHONE"): one of HIPAA Safe Harbor's
 * identifier classes (45 CFR 164.514(b)(2)), the class policies act on, and the kind of value the
 * replace and format_preserve methods make. */
#ifndef OM_DEID_LABELS_H
#define OM_DEID_LABELS_H

typedef enum om_phi_class {
    OM_PHI_NAME = 0,       /* (A) names */
    OM_PHI_GEOGRAPHIC,     /* (B) street, city, county, precinct, ZIP code and their equivalents */
    OM_PHI_DATE,           /* (C) dates (except the year) directly related to an individual */
    OM_PHI_AGE,            /* (C) ages over 89 (and, in strict policies, all ages) */
    OM_PHI_PHONE,          /* (D) telephone numbers */
    OM_PHI_FAX,            /* (E) fax numbers */
    OM_PHI_EMAIL,          /* (F) e-mail addresses */
    OM_PHI_SSN,            /* (G) social security numbers */
    OM_PHI_MRN,            /* (H) medical record numbers */
    OM_PHI_HEALTH_PLAN,    /* (I) health plan beneficiary numbers */
    OM_PHI_ACCOUNT,        /* (J) account numbers (bank, card, IBAN) */
    OM_PHI_LICENSE,        /* (K) certificate and licence numbers (driver's licence, passport) */
    OM_PHI_VEHICLE,        /* (L) vehicle identifiers and serial numbers, licence plates */
    OM_PHI_DEVICE,         /* (M) device identifiers and serial numbers */
    OM_PHI_URL,            /* (N) web URLs */
    OM_PHI_IP,             /* (O) IP addresses */
    OM_PHI_BIOMETRIC,      /* (P) biometric identifiers */
    OM_PHI_PHOTO,          /* (Q) full-face photographs and comparable images */
    OM_PHI_OTHER_ID,       /* (R) any other unique identifying number, characteristic or code;
                              also every label this table does not know */
    OM_PHI_ORGANIZATION,   /* not one of the 18: organisations, hospitals, employers */
    OM_PHI_STATE,          /* not one of the 18: states and countries */
    OM_PHI_CUSTOM,         /* the caller's deny list */
    OM_PHI_N_CLASSES
} om_phi_class;

/* The class of a label (case, B-/I-/E-/S- prefixes, "private_" and punctuation ignored). */
om_phi_class om_label_class(const char *label);

/* The name of a class in policies ("names", "geographic", "dates", ...), and back (-1 if unknown). */
const char *om_phi_class_name(om_phi_class c);
int om_phi_class_parse(const char *name);

/* 1 for the finer kinds the surrogates tell apart inside OM_PHI_NAME and OM_PHI_GEOGRAPHIC. */
int om_label_is_first_name(const char *label);
int om_label_is_last_name(const char *label);
int om_label_is_zip(const char *label);
int om_label_is_street(const char *label);

#endif
