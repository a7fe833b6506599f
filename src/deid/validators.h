/* validators.h: check digits and formats that tell an identifier from a number that only looks
 * like one: Luhn (payment cards), ISO 13616 IBAN (country length and mod-97), IPv4 and IPv6
 * addresses, top-level domains. Each reads the value's characters as written (separators
 * allowed where the format allows them) and returns 1 when valid, 0 otherwise. */
#ifndef OM_DEID_VALIDATORS_H
#define OM_DEID_VALIDATORS_H

#include <stddef.h>

/* The ASCII digits of s[0, n) pass the Luhn check and number 13 to 19 (other characters are
 * skipped: spaces and dashes between groups). */
int om_valid_card(const char *s, size_t n);

/* The length of an IBAN of country `cc` (two letters, any case) in the ISO 13616 registry, or 0
 * for a country without IBANs. */
int om_iban_length(const char *cc);

/* s[0, n) less spaces and dashes is an IBAN: a registry country, its length, digits for the check,
 * letters and digits after, and mod 97 == 1 (letters in any case). */
int om_valid_iban(const char *s, size_t n);

/* s[0, n) is a dotted-quad IPv4 address (four decimal octets 0..255, at most 3 digits each). */
int om_valid_ipv4(const char *s, size_t n);

/* s[0, n) is an IPv6 address by inet_pton (with "::" or all eight groups; an IPv4 tail allowed). */
int om_valid_ipv6(const char *s, size_t n);

/* s[0, n) (letters, any case) is a top-level domain: a generic one from a list of those in use
 * (com, org, net, edu, gov, info, health, ...; `generic` set to 1) or a two-letter country code
 * (`generic` set to 0). */
int om_valid_tld(const char *s, size_t n, int *generic);

#endif
