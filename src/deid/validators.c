/* validators.c: Luhn, IBAN (ISO 13616), IPv4, IPv6 (inet_pton) and top-level domain checks. */
#include "deid/validators.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

int om_valid_card(const char *s, size_t n) {
    int sum = 0, count = 0;
    for (size_t i = n; i-- > 0;) {
        if (!isdigit((unsigned char)s[i])) continue;
        int d = s[i] - '0';
        if (count % 2 == 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
        sum += d;
        count++;
    }
    return count >= 13 && count <= 19 && sum % 10 == 0;
}

/* ISO 13616 IBAN registry (SWIFT, release 2024): country and total length. */
static const struct { char cc[3]; int len; } iban_countries[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22}, {"BH", 22},
    {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DJ", 27},
    {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FK", 18}, {"FO", 18}, {"FR", 27},
    {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22},
    {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32},
    {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21}, {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19},
    {"MN", 20}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24},
    {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33}, {"SA", 24}, {"SC", 31},
    {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"SO", 23}, {"ST", 25}, {"SV", 28}, {"TL", 23},
    {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20}, {"YE", 30},
};

int om_iban_length(const char *cc) {
    for (size_t i = 0; i < sizeof iban_countries / sizeof iban_countries[0]; i++)
        if (!strncasecmp(iban_countries[i].cc, cc, 2)) return iban_countries[i].len;
    return 0;
}

int om_valid_iban(const char *s, size_t n) {
    char v[40];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '-') continue;
        if (!isalnum(c) || k == sizeof v) return 0;
        v[k++] = (char)toupper(c);
    }
    if (k < 15 || !isalpha((unsigned char)v[0]) || !isalpha((unsigned char)v[1]) || !isdigit((unsigned char)v[2]) ||
        !isdigit((unsigned char)v[3]))
        return 0;
    if ((size_t)om_iban_length(v) != k) return 0;
    unsigned rem = 0; /* the number of v[4..] + v[0..4] with letters as 10..35, mod 97 */
    for (size_t j = 0; j < k; j++) {
        char c = v[(j + 4) % k];
        if (isdigit((unsigned char)c))
            rem = (rem * 10 + (unsigned)(c - '0')) % 97;
        else
            rem = (rem * 100 + (unsigned)(c - 'A' + 10)) % 97;
    }
    return rem == 1;
}

int om_valid_ipv4(const char *s, size_t n) {
    int parts = 0;
    size_t i = 0;
    while (parts < 4) {
        unsigned v = 0, digits = 0;
        while (i < n && isdigit((unsigned char)s[i]) && digits < 4) v = v * 10 + (unsigned)(s[i++] - '0'), digits++;
        if (digits == 0 || digits > 3 || v > 255) return 0;
        parts++;
        if (parts < 4) {
            if (i >= n || s[i] != '.') return 0;
            i++;
        }
    }
    return i == n;
}

int om_valid_ipv6(const char *s, size_t n) {
    char buf[64];
    unsigned char addr[16];
    if (n < 2 || n >= sizeof buf) return 0;
    memcpy(buf, s, n);
    buf[n] = 0;
    return inet_pton(AF_INET6, buf, addr) == 1;
}

/* Generic top-level domains common enough to meet in a record (lower case). */
static const char *const generic_tlds[] = {
    "com", "org", "net", "edu", "gov", "mil", "int", "info", "biz", "name", "pro", "mobi", "app", "dev", "io",
    "health", "care", "clinic", "doctor", "hospital", "med", "dental", "email", "online", "site", "web", "website",
    "cloud", "tech", "xyz", "top", "club", "shop", "store", "blog", "link", "live", "life", "news", "page", "art",
    "network", "solutions", "services", "center", "company", "group", "world", "today", "space", "family", "church",
    "school", "academy", "university", "law", "bank", "insurance", "museum", "aero", "coop", "travel", "asia", "eu"};

/* ISO 3166 two-letter codes in use as country-code top-level domains (lower case, packed). */
static const char cc_tlds[] =
    "ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo br bs bt bw by bz ca cc cd "
    "cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg er es et fi fj fk fm fo fr ga gd ge gf "
    "gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu id ie il im in io iq ir is it je jm jo jp ke kg kh ki "
    "km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx "
    "my mz na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc "
    "sd se sg sh si sk sl sm sn so sr ss st sv sx sy sz tc td tf tg th tj tk tl tm tn to tr tt tv tw tz ua ug uk us uy "
    "uz va vc ve vg vi vn vu wf ws ye yt za zm zw";

int om_valid_tld(const char *s, size_t n, int *generic) {
    char low[16];
    if (n < 2 || n >= sizeof low) return 0;
    for (size_t i = 0; i < n; i++) {
        if (!isalpha((unsigned char)s[i])) return 0;
        low[i] = (char)tolower((unsigned char)s[i]);
    }
    low[n] = 0;
    for (size_t i = 0; i < sizeof generic_tlds / sizeof generic_tlds[0]; i++)
        if (!strcmp(generic_tlds[i], low)) {
            if (generic) *generic = 1;
            return 1;
        }
    if (n == 2)
        for (const char *p = cc_tlds; *p; p += p[2] ? 3 : 2)
            if (p[0] == low[0] && p[1] == low[1]) {
                if (generic) *generic = 0;
                return 1;
            }
    return 0;
}
