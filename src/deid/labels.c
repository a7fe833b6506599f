/* labels.c: labels to HIPAA identifier classes by an alias table over normalized label keys. */
#include "deid/labels.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static const char *const class_names[OM_PHI_N_CLASSES] = {
    "names", "geographic", "dates", "ages", "phones", "faxes", "emails", "ssns", "medical_record_numbers",
    "health_plan_numbers", "account_numbers", "license_numbers", "vehicle_identifiers", "device_identifiers",
    "urls", "ip_addresses", "biometrics", "photos", "other_identifiers", "organizations", "states", "custom"};

const char *om_phi_class_name(om_phi_class c) {
    return (unsigned)c < OM_PHI_N_CLASSES ? class_names[c] : "unknown";
}

int om_phi_class_parse(const char *name) {
    for (int c = 0; c < OM_PHI_N_CLASSES; c++)
        if (!strcasecmp(name, class_names[c])) return c;
    return -1;
}

/* The label as lower-case letters and digits, without a BIOES prefix or "private". */
static void key_of(const char *label, char *out, size_t size) {
    if (strlen(label) > 2 && strchr("BIESLU", toupper((unsigned char)label[0])) && label[1] == '-') label += 2;
    size_t n = 0;
    for (const char *p = label; *p && n + 1 < size; p++)
        if (isalnum((unsigned char)*p)) out[n++] = (char)tolower((unsigned char)*p);
    out[n] = 0;
    if (!strncmp(out, "private", 7) && out[7]) memmove(out, out + 7, strlen(out + 7) + 1);
}

static const struct { const char *key; om_phi_class c; } aliases[] = {
    {"name", OM_PHI_NAME}, {"person", OM_PHI_NAME}, {"per", OM_PHI_NAME}, {"patient", OM_PHI_NAME},
    {"patientname", OM_PHI_NAME}, {"doctor", OM_PHI_NAME}, {"doctorname", OM_PHI_NAME}, {"fullname", OM_PHI_NAME},
    {"firstname", OM_PHI_NAME}, {"givenname", OM_PHI_NAME}, {"lastname", OM_PHI_NAME}, {"surname", OM_PHI_NAME},
    {"familyname", OM_PHI_NAME}, {"middlename", OM_PHI_NAME}, {"username", OM_PHI_NAME}, {"staff", OM_PHI_NAME},
    {"hcw", OM_PHI_NAME}, {"prefix", OM_PHI_NAME}, {"initials", OM_PHI_NAME},
    {"address", OM_PHI_GEOGRAPHIC}, {"streetaddress", OM_PHI_GEOGRAPHIC}, {"street", OM_PHI_GEOGRAPHIC},
    {"city", OM_PHI_GEOGRAPHIC}, {"town", OM_PHI_GEOGRAPHIC}, {"county", OM_PHI_GEOGRAPHIC},
    {"location", OM_PHI_GEOGRAPHIC}, {"loc", OM_PHI_GEOGRAPHIC}, {"locationother", OM_PHI_GEOGRAPHIC},
    {"zip", OM_PHI_GEOGRAPHIC}, {"zipcode", OM_PHI_GEOGRAPHIC}, {"postcode", OM_PHI_GEOGRAPHIC},
    {"postalcode", OM_PHI_GEOGRAPHIC}, {"building", OM_PHI_GEOGRAPHIC}, {"buildingnumber", OM_PHI_GEOGRAPHIC},
    {"secondaryaddress", OM_PHI_GEOGRAPHIC}, {"gps", OM_PHI_GEOGRAPHIC}, {"coordinates", OM_PHI_GEOGRAPHIC},
    {"state", OM_PHI_STATE}, {"country", OM_PHI_STATE}, {"nationality", OM_PHI_STATE},
    {"date", OM_PHI_DATE}, {"dob", OM_PHI_DATE}, {"dateofbirth", OM_PHI_DATE}, {"birthdate", OM_PHI_DATE},
    {"datetime", OM_PHI_DATE}, {"time", OM_PHI_DATE},
    {"age", OM_PHI_AGE},
    {"phone", OM_PHI_PHONE}, {"phonenumber", OM_PHI_PHONE}, {"telephone", OM_PHI_PHONE}, {"tel", OM_PHI_PHONE},
    {"mobile", OM_PHI_PHONE}, {"cell", OM_PHI_PHONE},
    {"fax", OM_PHI_FAX}, {"faxnumber", OM_PHI_FAX},
    {"email", OM_PHI_EMAIL}, {"emailaddress", OM_PHI_EMAIL}, {"mail", OM_PHI_EMAIL},
    {"ssn", OM_PHI_SSN}, {"socialsecuritynumber", OM_PHI_SSN}, {"usssn", OM_PHI_SSN},
    {"mrn", OM_PHI_MRN}, {"medicalrecord", OM_PHI_MRN}, {"medicalrecordnumber", OM_PHI_MRN},
    {"healthplan", OM_PHI_HEALTH_PLAN}, {"healthplannumber", OM_PHI_HEALTH_PLAN}, {"insuranceid", OM_PHI_HEALTH_PLAN},
    {"insurancenumber", OM_PHI_HEALTH_PLAN}, {"memberid", OM_PHI_HEALTH_PLAN}, {"medicare", OM_PHI_HEALTH_PLAN},
    {"account", OM_PHI_ACCOUNT}, {"accountnumber", OM_PHI_ACCOUNT}, {"bankaccount", OM_PHI_ACCOUNT},
    {"iban", OM_PHI_ACCOUNT}, {"bic", OM_PHI_ACCOUNT}, {"creditcard", OM_PHI_ACCOUNT},
    {"creditcardnumber", OM_PHI_ACCOUNT}, {"creditdebitcard", OM_PHI_ACCOUNT}, {"card", OM_PHI_ACCOUNT},
    {"cardnumber", OM_PHI_ACCOUNT}, {"routingnumber", OM_PHI_ACCOUNT}, {"pin", OM_PHI_ACCOUNT},
    {"license", OM_PHI_LICENSE}, {"licence", OM_PHI_LICENSE}, {"licensenumber", OM_PHI_LICENSE},
    {"driverlicense", OM_PHI_LICENSE}, {"driverslicense", OM_PHI_LICENSE}, {"passport", OM_PHI_LICENSE},
    {"passportnumber", OM_PHI_LICENSE}, {"certificate", OM_PHI_LICENSE}, {"taxid", OM_PHI_LICENSE},
    {"vehicle", OM_PHI_VEHICLE}, {"vehicleid", OM_PHI_VEHICLE}, {"vin", OM_PHI_VEHICLE},
    {"licenseplate", OM_PHI_VEHICLE}, {"vrm", OM_PHI_VEHICLE},
    {"device", OM_PHI_DEVICE}, {"deviceid", OM_PHI_DEVICE}, {"serial", OM_PHI_DEVICE},
    {"serialnumber", OM_PHI_DEVICE}, {"imei", OM_PHI_DEVICE}, {"macaddress", OM_PHI_DEVICE},
    {"url", OM_PHI_URL}, {"website", OM_PHI_URL}, {"uri", OM_PHI_URL},
    {"ip", OM_PHI_IP}, {"ipaddress", OM_PHI_IP}, {"ipv4", OM_PHI_IP}, {"ipv6", OM_PHI_IP},
    {"biometric", OM_PHI_BIOMETRIC}, {"fingerprint", OM_PHI_BIOMETRIC},
    {"photo", OM_PHI_PHOTO},
    {"id", OM_PHI_OTHER_ID}, {"idnum", OM_PHI_OTHER_ID}, {"idnumber", OM_PHI_OTHER_ID}, {"npi", OM_PHI_OTHER_ID},
    {"organization", OM_PHI_ORGANIZATION}, {"organisation", OM_PHI_ORGANIZATION}, {"org", OM_PHI_ORGANIZATION},
    {"hospital", OM_PHI_ORGANIZATION}, {"company", OM_PHI_ORGANIZATION}, {"companyname", OM_PHI_ORGANIZATION},
    {"facility", OM_PHI_ORGANIZATION}, {"employer", OM_PHI_ORGANIZATION},
    {"custom", OM_PHI_CUSTOM}};

om_phi_class om_label_class(const char *label) {
    char key[64];
    key_of(label ? label : "", key, sizeof key);
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (!strcmp(aliases[i].key, key)) return aliases[i].c;
    return OM_PHI_OTHER_ID; /* unknown labels are identifiers: never kept by accident */
}

int om_label_is_first_name(const char *label) {
    char key[64];
    key_of(label, key, sizeof key);
    return !strcmp(key, "firstname") || !strcmp(key, "givenname") || !strcmp(key, "middlename");
}

int om_label_is_last_name(const char *label) {
    char key[64];
    key_of(label, key, sizeof key);
    return !strcmp(key, "lastname") || !strcmp(key, "surname") || !strcmp(key, "familyname");
}

int om_label_is_zip(const char *label) {
    char key[64];
    key_of(label, key, sizeof key);
    return !strcmp(key, "zip") || !strcmp(key, "zipcode") || !strcmp(key, "postcode") || !strcmp(key, "postalcode");
}

int om_label_is_street(const char *label) {
    char key[64];
    key_of(label, key, sizeof key);
    return !strcmp(key, "address") || !strcmp(key, "streetaddress") || !strcmp(key, "street") ||
           !strcmp(key, "secondaryaddress") || !strcmp(key, "building") || !strcmp(key, "buildingnumber");
}
