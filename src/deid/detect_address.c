/* detect_address.c: street addresses and postal codes. Streets in the shapes of several
 * languages: a house number then street words and a suffix ("12 Oak Street", "5 Rue ...", "Apt 4"),
 * a street word then a number ("Calle Mayor 5", "ul. Kwiatowa 12/3", "Rua das Flores, 123",
 * "ул. Сенная, д. 81"), one word ending in a street suffix then a number ("Hauptstraße 12",
 * "Storgatan 8", "Nørregade 3"), post office boxes; after a word for an address ("Address:",
 * "| Address |", "lives at", "moved to", "Adresse", "the address of X is", ...) the whole first part of
 * the address whatever its words; after "arrived at", "return to", "sent to", "meet me at" a street
 * in capitals and its house number ("Nieuwe Baan 473"), no facility ("Ward 7"), so too after "address
 * ... to" ("change the address linked to my card to X"); US military mail ("PSC 1437, Box 3833",
 * "FPO AA 70489"). After a street (this detector's or the model's), the city and the postal code that
 * follow on its line, and the lines of an address block below it (unit, city, state code, postal
 * code); anywhere, a postal code after a state code ("MA 02115", ", ON K1A 0B1"). */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <utf8proc.h>

#include "core/utf8.h"
#include "deid/detector.h"
#include "deid/labels.h"
#include "deid/month_names.h"
#include "deid/regex.h"

#define NUM "\\d{1,6}[A-Za-z]?(?:[-/]\\d{1,5}[A-Za-z]?)?"
/* Words are bounded (40 characters) so that a pattern costs a constant at each position: linear in the text. */
#define WORD "\\p{L}[\\p{L}\\p{M}'’.-]{0,40}"
#define SP "[ \\t]+"

/* Suffixes whose word before a house number is hardly anything else in a note. */
#define STRONG_SUFFIX                                                                                   \
    "street|st|avenue|ave|av|road|rd|boulevard|blvd|lane|ln|drive|dr|terrace|terr|circle|cir|parkway|pkwy|" \
    "highway|hwy|crescent|turnpike|tpke|expressway|expy|freeway|fwy|plaza|court"
/* Suffixes that are ordinary words too ("6 minute walk"): capitalised words or an address context. */
#define WEAK_SUFFIX                                                                                      \
    "ct|pl|place|way|square|sq|close|row|trail|trl|pike|alley|aly|loop|path|run|walk|mews|gardens?|grove|"     \
    "rise|parade|esplanade|circuit|crossing|xing|point|ridge|heights|hts|hill|view|vista|bypass|causeway|"     \
    "route|rte|park|green|gate|wharf|yard|quay|hollow|manor|meadows?|estates?|junction|landing|pass|plains?|" \
    "ranch|springs?|station|summit|valley|village|villas?|ville|creek|brook|harbou?r|haven|isle|island|knolls?|" \
    "lake|lakes|mill|mills|mount|mountain|orchard|oval|overpass|underpass|port|prairie|ramp|rapids?|rest|"   \
    "river|shoals?|shores?|skyway|spur|stravenue|stream|throughway|trace|track|trafficway|tunnel|union|"      \
    "viaduct|views|walks|wall|well|wells|cove|cliffs?|camp|canyon|cape|center|centre|club|common|corners?|"    \
    "course|courts|dale|dam|divide|extension|falls?|ferry|fields?|flats?|ford|forest|forge|fork|forks|fort|" \
    "garden|glen|groves|inlet|keys?|light|lights|lock|locks|lodge|motorway|neck|pines?|points|radial|roads|"  \
    "streets|squares|terraces|branch|bridge|burg|bypass|fall|loaf|mall|mission|ways|subway|ramble|rue"
#define SECONDARY                                                                                       \
    "(?:,?[ \\t]+(?:apt|apartment|suite|ste|unit|flat|floor|fl|room|rm|bldg|building|#|no|piso|puerta|"      \
    "depto|dpto|interior|int|edif|appartamento|piano|scala|interno|app|étage|etage|bte|boîte|bus|lgh|"    \
    "lok|m|kv|кв|д|корп|стр|wohnung|whg|stock|og|tür|door)\\.?[ \\t]*#?[ \\t]*\\d{1,5}[A-Za-z]?\\b)*"
#define PRE_UNIT "(?:(?:flat|unit|apt|apartment|suite|level|studio|shop|lot|room|floor)[ \\t]+\\d{1,5}[A-Za-z]?,?[ \\t]+)?"
/* Words that start a street name, before it (French, Spanish, Italian, Portuguese, Polish, Romanian,
 * Czech, Russian, Dutch, German, Turkish, ...). */
#define PREFIX                                                                                            \
    "rue|avenue|av|ave|avda|avenida|boulevard|bd|bld|blvd|chemin|ch|allée|allee|impasse|imp|place|quai|"   \
    "rte|voie|sentier|calle|c/|paseo|pº|pza|camino|carrera|cra|"                                          \
    "calzada|callejón|callejon|cerrada|circuito|circunvalación|privada|prolongación|andador|peatonal|"      \
    "ampliación|ronda|rambla|travesía|travesia|glorieta|acceso|pasaje|viale|v\\.le|piazza|"               \
    "p\\.zza|p\\.za|vicolo|contrada|rotonda|incrocio|stretto|canale|rua|"                                 \
    /* words of English too: capitalised only */                                                         \
    "(?-i:Via|VIA|Place|PLACE|Route|ROUTE|Square|SQUARE|Passage|PASSAGE|Cours|Plaza|PLAZA|Diagonal|Corso|" \
    "Largo|Borgo|Strada|STRADA|Acceso|ACCESO)|"                                                          \
    "rúa|travessa|tv|praça|praca|pça|alameda|estrada|rodovia|ladeira|vereda|passarela|núcleo|nucleo|"          \
    "estação|estacao|quadra|setor|conjunto|residencial|condomínio|condominio|sítio|sitio|chácara|chacara|" \
    "vila|viela|lagoa|favela|fazenda|esplanada|jardim|loteamento|morro|trecho|distrito|feira|"             \
    "aeroporto|colônia|colonia|parque|ulica|aleja|plac|osiedle|skwer|"                                     \
    "strada|str|bulevardul|calea|șoseaua|soseaua|aleea|piața|piata|intrarea|splaiul|náměstí|namesti|nám|" \
    "nábřeží|třída|trida|ulice|ул|улица|пр|пр-т|проспект|пер|переулок|ш|шоссе|наб|набережная|бульвар|"   \
    "б-р|пл|площадь|проезд|sokak|cadde|caddesi|bulvar|bulvarı|mahallesi|"                                 \
    /* short abbreviations only with their dot */                                                         \
    "(?:c|r|cl|ch|tv|ul|al|pl|os|sk|cd|av|bd|sok|cad|mah|str)\\.(?=\\s)"
/* One word ending in a street suffix (German, Dutch, Scandinavian, Finnish, Hungarian, ...). */
#define GLUED_SUFFIX                                                                                      \
    "straße|strasse|str\\.|gasse|allee|platz|chaussee|damm|ufer|steig|pfad|weg|markt|straat|laan|gracht|" \
    "plein|kade|singel|dijk|steeg|gatan|vägen|vagen|gränd|grand|stigen|torget|backen|gata|veien|vegen|"    \
    "stien|vej|gade|stræde|straede|allé|plads|torv|katu|kuja|polku|kaari|väylä|vayla|bulevardi|raitti|"    \
    "rinne|penger|ranta|tie|utca|út|tér|körút|köz|sétány|rakpart|sor|ulica|cesta|trg"
#define SUFFIX_WORD "utca|u\\.|út|rkp\\.|krt\\.|tér|körút|köz|sor|sétány|rakpart|caddesi|cad\\.|cd\\.|sokak|sk\\.|sok\\.|bulvarı|" \
    "straße|strasse|str\\.|gasse|allee|weg|platz|ring|damm|ufer|laan|straat|plein|gade|vej|gata|gatan|vägen|trg"

typedef struct shape {
    const char *what;
    int kind;  /* 0: number first, 1: prefix first, 2: glued suffix, 3: suffix word, 4: PO box, 5: unit,
                  6: words and a number before a postal code and a place */
    int words; /* the group of the street's words, checked for stop words (0: none) */
    om_regex re;
} shape;

static shape shapes[] = {
    {"street (number first)", 0, 2,
     {"(?<![\\w.,/-])" PRE_UNIT "(" NUM ")" SP "((?:" WORD "" SP "){1,4}?)(" STRONG_SUFFIX "|" WEAK_SUFFIX ")\\b\\.?" SECONDARY,
      PCRE2_CASELESS | PCRE2_UCP, NULL}},
    {"street (number, prefix)", 1, 2,
     {"(?<![\\w.,/-])(" NUM "),?" SP "(?:" PREFIX ")\\.?" SP "((?:" WORD "" SP "){0,4}" WORD ")" SECONDARY,
      PCRE2_CASELESS | PCRE2_UCP, NULL}},
    {"street (prefix first)", 1, 1,
     {"(?<![\\w])(?:" PREFIX ")\\.?" SP "((?:" WORD "" SP "){0,5}?" WORD ")[ \\t]*,?[ \\t]*(?:(?:nr|no|n[°º]|nº|#|д)\\.?[ \\t]*)?"
      "(" NUM ")(?![\\w])" SECONDARY,
      PCRE2_CASELESS | PCRE2_UCP, NULL}},
    {"street (glued suffix)", 2, 0,
     {"(?<![\\w-])(?:\\d{1,6}[ \\t]+)?(?:\\p{L}[\\p{L}\\p{M}'’.]{0,40}-){0,4}\\p{L}[\\p{L}\\p{M}]{0,40}?(?:" GLUED_SUFFIX ")[ \\t]*,?[ \\t]*(" NUM ")\\.?(?![\\w])" SECONDARY,
      PCRE2_CASELESS | PCRE2_UCP, NULL}},
    {"street (suffix word)", 3, 0,
     {"(?<![\\w])(?:" WORD "" SP "){1,3}(?:" SUFFIX_WORD ")[ \\t]*(?:no[ \\t]*:?[ \\t]*)?(" NUM ")\\.?(?![\\w])" SECONDARY,
      PCRE2_CASELESS | PCRE2_UCP, NULL}},
    {"PO box", 4, 0,
     {"(?<![\\w])(?:p\\.?\\s?o\\.?\\s?box|post" SP "office" SP "box|postfach|apartado(?:" SP "de" SP "correos)?|"
      "caixa" SP "postal|casella" SP "postale|bo[îi]te" SP "postale|postboks|postbox|box)"
      "[ \\t]*#?[ \\t]*\\d{1,6}(?![\\w])",
      PCRE2_CASELESS | PCRE2_UCP, NULL}},
    /* any words and a number, then a postal code and a place: "Hanssenekra 14, 4212 Gulbrandsen",
     * "Vizovická 5, 547 52 Sedlice", "Zavojna 37\n58471 Split", "Ασπροκκλησιάς 033,, ΤΚ 22453 Κόρινθος"
     * (groups: 1 the words, 2 the number, 3 the postal code, 4 the place's first word) */
    {"street (then postal code)", 6, 0,
     {"(?<![\\w.,/-])((?:" WORD SP "){0,3}" WORD ")" SP "(" NUM ")(?![\\w])(?=(?:[ \\t]*,{1,2}[ \\t]*|[ \\t]*\\n[ \\t]*|[ \\t]+)"
      "(?:(?:TK|ΤΚ|T\\.K\\.|Τ\\.Κ\\.)[ \\t]*)?(\\d{4,5}|\\d{3} \\d{2}|\\d{2}-\\d{3}|\\d{4,5}-\\d{3,4}|\\d{4} ?[A-Z]{2})"
      "(?![\\w-])[ \\t]*,?[ \\t]*(\\p{L}[\\p{L}\\p{M}]{0,40}))",
      PCRE2_CASELESS | PCRE2_UCP, NULL}},
    /* a flat or suite anywhere: "Apt. 762", "suite #5" */
    {"unit", 5, 0,
     {"(?<![\\w])(?:apt|apartment|suite|ste)\\.?[ \\t]*#?[ \\t]*\\d{1,5}[A-Za-z]?(?![\\w])", PCRE2_CASELESS | PCRE2_UCP, NULL}},
    /* US military mail: "PSC 1437, Box 3833", "Unit 5477 Box 8244", "USS Mahler\nFPO AA 70489" */
    {"military address", 4, 0,
     {"(?<![\\w])(?:(?:psc|cmr|unit)[ \\t]+\\d{1,5},?[ \\t]+box[ \\t]+\\d{1,5}|"
      "(?:(?:uss|usns|uscgc)[ \\t]+\\p{L}[\\p{L}'’-]{0,40}[ \\t]*\\n[ \\t]*)?(?:apo|fpo|dpo)[ \\t]+(?:aa|ae|ap)[ \\t]+"
      "\\d{5}(?:-\\d{4})?)(?![\\w])",
      PCRE2_CASELESS | PCRE2_UCP, NULL}},
};

/* Words that never stand between a house number and a street suffix ("2 years down the road"). */
static const char *const stopwords[] = {
    "the", "a", "an", "of", "to", "and", "or", "in", "on", "at", "for", "with", "by", "from", "per", "times", "time",
    "x", "day", "days", "week", "weeks", "month", "months", "year", "years", "hour", "hours", "hr", "hrs", "minute",
    "minutes", "min", "mins", "second", "seconds", "mile", "miles", "km", "block", "blocks", "mg", "ml", "mcg", "g",
    "kg", "lb", "lbs", "units", "unit", "tablet", "tablets", "tabs", "pills", "puffs", "drops", "doses", "dose",
    "more", "less", "than", "about", "over", "under", "every", "each", "daily", "twice", "once", "down", "up", "her",
    "his", "their", "my", "your", "our", "this", "that", "these", "those", "was", "were", "is", "are", "be", "been",
    "has", "have", "had", "not", "no", "yes", "patient", "patients", "pt", "point", "steps", "step", "feet", "foot",
    "ft", "meters", "meter", "m", "cm", "mm", "inch", "inches", "level", "levels", "stairs", "flights", "flight",
    "out", "into", "onto", "off", "back", "left", "right", "side", "then", "also", "but", "as", "it", "he", "she",
    "they", "we", "i", "you", "him", "them", "all", "any", "some", "other", "another", "one", "two", "three",
    "four", "five", "six", "seven", "eight", "nine", "ten", "first", "last", "next", "previous", "prior", "after",
    "before", "during", "since", "until", "vs", "beats", "bpm", "mmhg", "percent", "scale", "test", "tests", "which",
    "who", "whom", "whose", "where", "when", "while", "because", "near", "so", "if", "will", "would", "can", "could",
    "should", "must", "there", "here", "very", "just", "now", "today", "tomorrow", "yesterday", "me", "us", "its",
    "please", "thanks", "thank"};

static int is_stopword(const char *w, size_t n) {
    for (size_t i = 0; i < sizeof stopwords / sizeof stopwords[0]; i++)
        if (strlen(stopwords[i]) == n && !strncasecmp(stopwords[i], w, n)) return 1;
    return 0;
}

/* Words for a flat, floor or unit of a building, before or after the street ("Flat 9", "Apt 4"). */
static int is_unit_word(const char *w, size_t n) {
    static const char *const units[] = {"flat", "unit", "apt", "apartment", "suite", "ste", "level", "studio", "shop",
                                        "lot", "room", "floor", "fl", "bldg", "building", "piso", "puerta", "depto",
                                        "dpto", "interior", "int", "edif", "appartamento", "piano", "interno", "app",
                                        "étage", "etage", "bte", "lgh", "wohnung", "whg", "stock", "tür", "door", "#"};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strlen(units[i]) == n && !strncasecmp(units[i], w, n)) return 1;
    return 0;
}

static int is_word_byte(unsigned char c) { return isalnum(c) || c >= 0x80 || c == '\'' || c == '-' || c == '.'; }

/* The words of [a, b) (letters): none a stop word; *capitalised set when each starts upper case
 * and not every word is all capitals. */
static int words_ok(const char *t, size_t a, size_t b, int *capitalised) {
    int cap = 1, lower_seen = 0, any = 0;
    for (size_t i = a; i < b;) {
        while (i < b && !is_word_byte((unsigned char)t[i])) i++;
        size_t s = i;
        while (i < b && is_word_byte((unsigned char)t[i])) i++;
        size_t e = i;
        while (e > s && t[e - 1] == '.') e--;
        if (e <= s) continue;
        any = 1;
        if (is_stopword(t + s, e - s)) return 0;
        unsigned char c0 = (unsigned char)t[s];
        if (c0 < 0x80 && !isupper(c0)) cap = 0;
        for (size_t k = s + 1; k < e; k++) lower_seen |= islower((unsigned char)t[k]) != 0;
    }
    *capitalised = any && cap && lower_seen;
    return 1;
}

static int suffix_is_strong(const char *s, size_t n) {
    static const char *const strong[] = {"street", "st", "avenue", "ave", "av", "road", "rd", "boulevard", "blvd",
                                         "lane", "ln", "drive", "dr", "terrace", "terr", "circle", "cir", "parkway",
                                         "pkwy", "highway", "hwy", "crescent", "turnpike", "tpke", "expressway",
                                         "expy", "freeway", "fwy", "plaza", "court"};
    for (size_t i = 0; i < sizeof strong / sizeof strong[0]; i++)
        if (strlen(strong[i]) == n && !strncasecmp(strong[i], s, n)) return 1;
    return 0;
}

static openmed_status found_hit(const char *t, size_t n, const om_regex_match *m, void *ctx, openmed_error *err) {
    (void)t, (void)n, (void)m, (void)err;
    *(int *)ctx = 1;
    return OPENMED_OK;
}

static openmed_status matches(om_regex *re, const char *what, const char *t, size_t a, size_t b, int *yes,
                              openmed_error *err) {
    *yes = 0;
    return om_regex_each(re, what, t + a, b - a, found_hit, yes, err);
}

/* A month or a weekday, the whole of [a, b). */
static om_regex calendar_re = {
    "^(?:" OM_MONTHS_EN "|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|"
    "saturday|sunday)$", PCRE2_CASELESS, NULL};

typedef struct addr_ctx {
    om_span_list *out;
    const shape *sh;
} addr_ctx;

static openmed_status shape_hit(const char *t, size_t n, const om_regex_match *m, void *ctx, openmed_error *err) {
    (void)n;
    addr_ctx *a = ctx;
    size_t e = m->end;
    while (e > m->start && (t[e - 1] == ',' || t[e - 1] == ' ')) e--;
    int capitalised = 0;
    if (a->sh->words) {
        size_t g = a->sh->words;
        if (g < m->n_groups && m->groups[2 * g] != PCRE2_UNSET &&
            !words_ok(t, m->groups[2 * g], m->groups[2 * g + 1], &capitalised))
            return OPENMED_OK;
    }
    if (a->sh->kind == 0) {
        /* groups: 1 number, 2 words, 3 suffix */
        size_t s0 = m->groups[6], s1 = m->groups[7];
        int strong = suffix_is_strong(t + s0, s1 - s0);
        int suffix_cap = isupper((unsigned char)t[s0]) && (s1 - s0 < 2 || islower((unsigned char)t[s0 + 1]));
        /* short abbreviations in capitals are other things ("2 head CT", "3 PT"); weak suffixes need
         * capitalised words */
        if (s1 - s0 <= 2 && !suffix_cap && !(islower((unsigned char)t[s0]) && strong)) return OPENMED_OK;
        if (!strong && !(capitalised && suffix_cap)) return OPENMED_OK;
    }
    size_t s = m->start;
    if (a->sh->kind == 3) /* "and Kossuth utca 12": leading stop words are not the street's */
        for (;;) {
            size_t w = s;
            while (w < e && is_word_byte((unsigned char)t[w])) w++;
            if (w == s || !is_stopword(t + s, w - s)) break;
            while (w < e && t[w] == ' ') w++;
            s = w;
        }
    if (a->sh->kind == 6) {
        /* the street starts after the last stop word ("send it to Pot za Brdom 2"); the postal code is
         * no year ("Lasix 40, 2019 Jan"), the place no stop word, unit or month ("500, 1000 mg") */
        const size_t *g = m->groups;
        for (size_t i = s; i < g[4];) {
            size_t w = i;
            while (w < g[4] && is_word_byte((unsigned char)t[w])) w++;
            size_t we = w;
            while (we > i && t[we - 1] == '.') we--;
            if (we > i && is_stopword(t + i, we - i)) s = w;
            while (w < g[4] && !is_word_byte((unsigned char)t[w])) w++;
            if (w == i) break;
            i = w;
        }
        while (s < g[4] && (t[s] == ' ' || t[s] == '\t')) s++;
        if (s >= g[4]) return OPENMED_OK;
        size_t z = g[6], ze = g[7], c = g[8], ce = g[9];
        if (ze - z == 4 && (!strncmp(t + z, "19", 2) || !strncmp(t + z, "20", 2))) return OPENMED_OK;
        int calendar = 0;
        openmed_status st = matches(&calendar_re, "street", t, c, ce, &calendar, err);
        if (st != OPENMED_OK || calendar || is_stopword(t + c, ce - c)) return st;
    }
    return om_detect_push(a->out, s, e, "STREET_ADDRESS", 0.9f, err);
}

/* ---------------------------------------------------------------- address context */

static om_regex cue_re = {
    "(?<![\\w])(?:(?:home|street|mailing|postal|current|permanent|billing|residential|patient)?\\s*address(?:e|e?s)?"
    "(?:[ \\t]+of[ \\t]+[^\\n,;:.]{1,60}?(?=[ \\t]+(?:is|was)[ \\t]))?|" /* "The address of Peerj is" */
    "addr|adresse|anschrift|wohnadresse|direcci[óo]n|domicilio|indirizzo|endere[çc]o|morada|adres|adress|osoite|"
    "c[íi]m|adresa|adres[ăa]|adresi|адрес|地址|住所|lives\\s+at|living\\s+at|resides\\s+at|residing\\s+at|"
    "resident\\s+of|located\\s+at|moved\\s+to|relocated\\s+to|lives\\s+on|wohnt\\s+in|habite\\s+au|vive\\s+en)"
    "(?![\\w])(?:\\s*(?:is|was|:|\\||\\t|-|=))*\\s*",
    PCRE2_CASELESS | PCRE2_UCP, NULL};

/* the end of the segment starting at i: before ',', ';', '|', a tab, a line end, '(' or a sentence
 * end (". " after a word of 3+ letters) */
static size_t segment_end(const char *t, size_t n, size_t i, size_t limit) {
    size_t e = i;
    while (e < n && e - i < limit && !strchr(",;|\t\n(", t[e])) {
        if (t[e] == '.' && (e + 1 == n || t[e + 1] == ' ' || t[e + 1] == '\n')) {
            size_t w = e;
            while (w > i && isalpha((unsigned char)t[w - 1])) w--;
            size_t next = e + 1;
            while (next < n && t[next] == ' ') next++;
            /* "Edif. 600", "Apt. 4": a unit's abbreviation before a number is no sentence end */
            if (e - w >= 4 && !(is_unit_word(t + w, e - w) && next < n && isdigit((unsigned char)t[next]))) break;
        }
        e++;
    }
    return e;
}

static int count_digits(const char *t, size_t a, size_t b) {
    int d = 0;
    for (size_t i = a; i < b; i++) d += isdigit((unsigned char)t[i]) != 0;
    return d;
}

/* The code point at t[i] is an upper-case or title-case letter (any script). */
static int upper_at(const char *t, size_t i) {
    size_t len;
    utf8proc_category_t k = utf8proc_category((utf8proc_int32_t)om_utf8_decode(t, i, &len));
    return k == UTF8PROC_CATEGORY_LU || k == UTF8PROC_CATEGORY_LT;
}

static int letter_at(const char *t, size_t i) {
    size_t len;
    utf8proc_category_t k = utf8proc_category((utf8proc_int32_t)om_utf8_decode(t, i, &len));
    return k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO;
}

/* A postal-code-like token: digits, or capitals and digits with a digit ("35940", "K1A", "SW1A"). */
static int is_code(const char *t, size_t a, size_t b) {
    if (b - a > 10 || !count_digits(t, a, b)) return 0;
    for (size_t i = a; i < b; i++)
        if (!isdigit((unsigned char)t[i]) && !isupper((unsigned char)t[i]) && t[i] != '-') return 0;
    return 1;
}

static size_t trim_right(const char *t, size_t a, size_t b) {
    while (b > a && strchr(" .:-?!", t[b - 1])) b--;
    return b;
}

/* A secondary part alone ("Apt. 4", "д. 81", "349", "nº 5", "S/N"): joins the street before it. */
static om_regex secondary_re = {
    "^\\s*(?:(?:apt|apartment|suite|ste|unit|flat|floor|fl|room|rm|bldg|building|no|nr|n[°º]|nº|#|piso|puerta|"
    "depto|dpto|interior|int|edif|appartamento|piano|app|étage|bte|lgh|д|кв|корп|стр|s/n|wohnung|whg)\\.?\\s*#?\\s*)?"
    "(?:\\d{1,5}[A-Za-z]?(?:[-/]\\d{1,5}[A-Za-z]?)?|s/n)\\.?\\s*$",
    PCRE2_CASELESS | PCRE2_UCP, NULL};

/* Words for places in a hospital or a building and for steps of a thing, never a street's name. */
static int is_facility_word(const char *w, size_t n) {
    static const char *const words[] = {"ward", "bay", "bed", "clinic", "room", "rm", "or", "theatre", "theater",
                                        "icu", "er", "ed", "pod", "wing", "tower", "building", "station", "gate",
                                        "dock", "lab", "desk", "window", "counter", "exam", "level", "platform",
                                        "terminal", "zone", "area", "section", "table", "track", "page", "chapter",
                                        "phase", "stage", "grade", "class", "group", "team", "cycle", "version",
                                        "form", "floor", "unit", "suite", "office", "booth", "cell", "block"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i]) == n && !strncasecmp(words[i], w, n)) return 1;
    return 0;
}

/* After a weaker cue, is [s, e) a street: words in capitals, none a facility's or stop word, then a
 * house number, followed by a sentence's or line's end, a comma or a word that is no unit of time
 * or measure ("Nieuwe Baan 473 last night", not "Clinic 3 weeks")? */
static int street_named(const char *t, size_t s, size_t e, size_t n) {
    int named = 0;
    for (size_t i = s; i < e;) {
        while (i < e && t[i] == ' ') i++;
        size_t w = i;
        while (i < e && t[i] != ' ') i++;
        if (i == w || count_digits(t, w, i)) continue;
        if (!upper_at(t, w) || is_facility_word(t + w, i - w) || is_stopword(t + w, i - w)) return 0;
        named = 1;
    }
    size_t a = e;
    while (a < n && t[a] == ' ') a++;
    size_t b = a;
    while (b < n && isalpha((unsigned char)t[b])) b++;
    static const char *const after_ok[] = {"in", "on", "at", "for", "last", "next", "this", "tonight", "tomorrow",
                                           "today", "yesterday", "and", "or", "by", "before", "after", "since"};
    if (b > a) {
        int ok = 0;
        for (size_t i = 0; i < sizeof after_ok / sizeof after_ok[0]; i++)
            ok |= strlen(after_ok[i]) == b - a && !strncasecmp(after_ok[i], t + a, b - a);
        if (!ok) return 0;
    }
    return named;
}

/* Where a thing is taken, sent or met: a capitalised street then a house number after these is an
 * address ("The letter arrived at Nieuwe Baan 473", "Please return to Jagerij 64", "Meet me at ..."),
 * unless the words are a place in a building or a time ("return to Clinic 3 in 2 weeks"). */
static om_regex place_cue_re = {
    "(?<![\\w])(?:arrived|arrives|arrive|returned|return|deliver|delivered|ship|shipped|send|sent|mail|mailed|"
    "forward|forwarded)(?:[ \\t]+(?:it|them|this|these|mail|everything))?[ \\t]+(?:to|at)[ \\t]+\\K(?:\\p{Lu}|\\d)|"
    "(?<![\\w])(?i:meet|visit|find)[ \\t]+(?i:me|us)[ \\t]+(?i:at)[ \\t]+\\K(?:\\p{Lu}|\\d)|"
    /* "update the address linked to my card to X", "change my address to X" */
    "(?<![\\w])address(?:es)?(?![\\w])[^.?!\\n]{0,60}?[ \\t](?:to|with|as)[ \\t]+\\K(?:\\p{Lu}|\\d)",
    PCRE2_CASELESS | PCRE2_UCP, NULL};

static openmed_status street_after_cue(const char *t, size_t n, size_t s, int weak, om_span_list *out,
                                       openmed_error *err);

static openmed_status place_cue_hit(const char *t, size_t n, const om_regex_match *m, void *ctx, openmed_error *err) {
    return street_after_cue(t, n, m->start, 1, ctx, err); /* the match is the street's first character */
}

static openmed_status cue_hit(const char *t, size_t n, const om_regex_match *m, void *ctx, openmed_error *err) {
    return street_after_cue(t, n, m->end, 0, ctx, err);
}

/* The street that starts at s after an address cue; after a weaker cue (`weak`: "arrived at") only a
 * named street in capitals and a house number, no facility word, nothing but a sentence's end or a
 * preposition after it. */
static openmed_status street_after_cue(const char *t, size_t n, size_t s, int weak, om_span_list *out,
                                       openmed_error *err) {
    if (s >= n || t[s] == '\n') return OPENMED_OK;
    size_t e = segment_end(t, n, s, 80);
    /* a lone number ("49, avenue ...") or a street then a lone number ("Rua X, 349", "ул. X, д. 81",
     * "..., Apt 5") joins the next segment */
    for (int joins = 0; joins < 2 && e < n && t[e] == ','; joins++) {
        size_t ns = e + 1, ne = segment_end(t, n, ns, 60);
        int lone = 0, here = 0;
        openmed_status st = matches(&secondary_re, "address part", t, ns, ne, &lone, err);
        if (st == OPENMED_OK) st = matches(&secondary_re, "address part", t, s, e, &here, err);
        if (st != OPENMED_OK) return st;
        if (!lone && !here) break;
        e = ne;
    }
    e = trim_right(t, s, e);
    if (e <= s || !count_digits(t, s, e)) return OPENMED_OK;
    /* the street is the words up to its house number (no stop word among them: "Boston in 2010" is
     * no street) and, after the number, the words up to a stop word ("12 oak street with her
     * family", "via roma 12 since May") */
    size_t i = s, number_end = 0;
    int words = 0, named = 0; /* named: a word of the street's name seen ("Level 5 0 Ritter Ramble") */
    while (i < e) {
        while (i < e && t[i] == ' ') i++;
        size_t w = i;
        while (i < e && t[i] != ' ') i++;
        if (i == w) break;
        size_t we = i;
        while (we > w && strchr(".,:;", t[we - 1])) we--;
        if (++words > 10) return OPENMED_OK;
        if (count_digits(t, w, i)) {
            number_end = i;
            if (named) { /* a number after the street's words ends it, with units after it ("5 Piso 6",
                          * "372 Edif. 600 , Depto. 193") */
                size_t u = i;
                for (;;) {
                    while (u < e && (t[u] == ' ' || t[u] == ',')) u++;
                    size_t ue = u;
                    while (ue < e && t[ue] != ' ') ue++;
                    size_t v = ue;
                    while (v < e && t[v] == ' ') v++;
                    size_t ve = v;
                    while (ve < e && t[ve] != ' ' && t[ve] != ',') ve++;
                    size_t uw = ue;
                    while (uw > u && t[uw - 1] == '.') uw--;
                    if (!(uw > u && is_unit_word(t + u, uw - u) && count_digits(t, v, ve))) break;
                    number_end = u = ve;
                }
                break;
            }
            continue;
        }
        if (we > w && is_stopword(t + w, we - w) && !(w == s && is_unit_word(t + w, we - w))) {
            if (!number_end) return OPENMED_OK;
            break;
        }
        if (!(w == s && is_unit_word(t + w, we - w))) named = 1;
        if (number_end) number_end = i; /* words after a leading number: "12 Oak Street" */
    }
    if (!number_end) return OPENMED_OK;
    if (weak && !street_named(t, s, number_end, n)) return OPENMED_OK;
    e = trim_right(t, s, number_end);
    /* a street part after a comma ("Rua X, 349", "ул. X, д. 81") stays with it */
    if (e < s) return OPENMED_OK;
    return om_detect_push(out, s, e, "STREET_ADDRESS", 0.9f, err);
}

/* ---------------------------------------------------------------- postal codes and cities */

#define POSTAL                                                                                                \
    "(?:\\d{5}(?:[- ]\\d{4})?|\\d{5}-\\d{3}|[A-Z]\\d[A-Z] ?\\d[A-Z]\\d|[A-Z]{1,2}\\d[A-Z\\d]? ?\\d[A-Z]{2}|"   \
    "\\d{4} ?[A-Z]{2}|\\d{2}-\\d{3}|\\d{4}-\\d{3}|\\d{3} \\d{2}|\\d{2} \\d{3}|\\d{3}-\\d{4}|[A-Z]{1,2}-\\d{4,5}|" \
    "\\d{6}|\\d{4})"

/* the postal code and the city after a street, on its line (or at the start of the next); city words
 * are joined by one space or hyphen, so each text has one reading (no backtracking blow-up) */
#define CITY_WORD "\\p{L}[\\p{L}\\p{M}'’.()]{0,40}"
#define CITY CITY_WORD "(?:[ -]" CITY_WORD "){0,4}"
static om_regex tail_re = {
    "^(?:\\s*,\\s*|\\s+|\\s*\\n\\s*)(?:(" POSTAL ")(?![\\w]|-\\d)\\s*,?\\s*(" CITY ")?|"
    "(" CITY ")(?:\\s*,\\s*|\\s+)(?:([A-Z]{2,3}|\\p{L}[\\p{L} ]{2,20})\\s*,?\\s+)?"
    "(" POSTAL ")(?![\\w]|-\\d))",
    PCRE2_CASELESS | PCRE2_UCP, NULL};

typedef struct tail_ctx {
    om_span_list *out;
    size_t base;       /* where the matched text starts in the whole text */
    const char *text;  /* the whole text and its length */
    size_t n;
} tail_ctx;

static size_t place_run(const char *t, size_t line_end, size_t a, int any_case, om_span_list *out,
                        openmed_error *err, openmed_status *st);

static openmed_status tail_hit(const char *t, size_t n, const om_regex_match *m, void *ctx, openmed_error *err) {
    (void)t, (void)n;
    tail_ctx *c = ctx;
    const size_t *g = m->groups;
    openmed_status st = OPENMED_OK;
    size_t pg = g[2] != PCRE2_UNSET ? 1 : 5, cg = g[2] != PCRE2_UNSET ? 2 : 3;
    if (pg < m->n_groups && g[2 * pg] != PCRE2_UNSET)
        st = om_detect_push(c->out, c->base + g[2 * pg], c->base + g[2 * pg + 1], "ZIPCODE", 0.9f, err);
    /* the state or region between the city and the postal code ("KNIVSTA, nan 18237", ", mp 35739") */
    if (st == OPENMED_OK && 4 < m->n_groups && g[8] != PCRE2_UNSET) {
        size_t a = c->base + g[8], b = c->base + g[9];
        while (b > a && t[b - c->base - 1] == ' ') b--;
        if (b > a) st = om_detect_push(c->out, a, b, "STATE", 0.85f, err);
    }
    if (st == OPENMED_OK && cg < m->n_groups && g[2 * cg] != PCRE2_UNSET && g[2 * cg + 1] > g[2 * cg]) {
        size_t a = c->base + g[2 * cg], b = c->base + g[2 * cg + 1];
        /* "Berlin or", "Hildburghausen after the concert": the city ends before a stop word that no
         * word with a capital follows within two words ("Sankt Veit an der Glan" is one place) */
        size_t ws[8][2];
        int nw = 0;
        for (size_t w = a; w < b && nw < 8;) {
            size_t we = w;
            while (we < b && t[we - c->base] != ' ') we++;
            size_t core = we;
            while (core > w && strchr(".,", t[core - c->base - 1])) core--;
            ws[nw][0] = w, ws[nw][1] = core, nw++;
            w = we < b ? we + 1 : we;
        }
        for (int k = 1; k < nw; k++) {
            if (!is_stopword(t + ws[k][0] - c->base, ws[k][1] - ws[k][0])) continue;
            int capital_after = 0;
            for (int j = k + 1; j < nw && j <= k + 2; j++) capital_after |= upper_at(t - c->base, ws[j][0]);
            if (!capital_after) {
                b = ws[k][0];
                break;
            }
        }
        while (b > a && strchr(" -.,", t[b - c->base - 1])) b--;
        /* "or Springfield": nor does it start with one */
        for (;;) {
            size_t w = a;
            while (w < b && t[w - c->base] != ' ') w++;
            if (w == b || !is_stopword(t + a - c->base, w - a)) break;
            a = w + 1;
        }
        if (b > a) st = om_detect_push(c->out, a, b, "CITY", 0.85f, err);
    }
    /* the places after it on its line: "36819 Cosenza (RE)", "73202152 Jesus / MS" (not when digits
     * follow: "416 60 039" is a phone number) */
    size_t next = c->base + m->end;
    while (next < c->n && (c->text[next] == ' ' || c->text[next] == '\t')) next++;
    if (st == OPENMED_OK && !(next < c->n && isdigit((unsigned char)c->text[next]))) {
        size_t from = c->base + m->end, line_end = from;
        while (line_end < c->n && c->text[line_end] != '\n' && line_end - from < 160) line_end++;
        place_run(c->text, line_end, from, 1, c->out, err, &st);
    }
    return st;
}

/* ---------------------------------------------------------------- address blocks */

/* The lines of an address written as a block under its street ("971 Kesk 53\n Suite 343\n Pärnu\n
 * Estonia", "6750 Koskikatu 25\nArtilleros\n, CO\n Uruguay 64677"): a unit, a state code, a postal
 * code with the words before it, a city (words each written with a capital; particles between). A
 * line may start with spaces or a mail quote's '>'. */
#define LINE_LEAD "^[^\\p{L}\\p{N}\\n(#]{0,6}"
static om_regex unit_line_re = {
    LINE_LEAD "(?:apt|apartment|suite|ste|unit|flat|floor|fl|room|rm|bldg|building)\\.?[ \t]*#?[ \t]*\\d{1,5}[A-Za-z]?"
    "[ \t,]*$",
    PCRE2_CASELESS | PCRE2_UCP, NULL};
static om_regex state_line_re = {
    LINE_LEAD "(?:,[ \t]*\\p{L}{2,3}|\\p{Lu}{2,3})\\.?[ \t]*$", PCRE2_UCP, NULL};
static om_regex postal_line_re = {
    LINE_LEAD "(?:[\\p{L}\\p{M}'’.()-]+[ \t,]+){0,5}(?:" "\\d{5}(?:[- ]\\d{4})?|\\d{5}-\\d{3}|[A-Z]\\d[A-Z] ?\\d[A-Z]\\d|"
    "[A-Z]{1,2}\\d[A-Z\\d]? ?\\d[A-Z]{2}|\\d{4} ?[A-Z]{2}|\\d{2}-\\d{3}|\\d{4}-\\d{3}|\\d{3} \\d{2}|\\d{4}|\\d{6})[ \t]*$",
    PCRE2_UCP, NULL};
#define CITY_CAP "\\p{Lu}[\\p{L}\\p{M}'’.-]{0,40}"
static om_regex city_line_re = {
    LINE_LEAD CITY_CAP "(?:[ \t]+(?:(?:de|del|da|do|dos|das|di|du|la|le|les|van|von|den|der|am|an|im|sur|upon|on)"
    "[ \t]+)?" CITY_CAP "){0,3}[ \t]*,?[ \t]*$",
    PCRE2_UCP, NULL};
/* a postal code then the place: "58471 Split", "201 98 Bojkovice", "ΤΚ 22453 Κόρινθος" */
static om_regex postal_first_line_re = {
    LINE_LEAD "(?:(?:TK|ΤΚ|T\\.K\\.|Τ\\.Κ\\.)[ \t]*)?(?:\\d{4,5}|\\d{3} \\d{2}|\\d{2}-\\d{3}|\\d{4,5}-\\d{3,4}|\\d{4} ?[A-Z]{2})"
    "[ \t]*,?[ \t]+\\p{Lu}[\\p{L}\\p{M}'’.-]{0,40}(?:[ \t]+[\\p{L}\\p{M}'’.()/-]{1,40}){0,5}[ \t]*$",
    PCRE2_UCP, NULL};
/* a street name of a block, words with a capital first and in lower case after ("Antony ports"),
 * taken only where the block's other lines confirm it */
static om_regex name_line_re = {
    LINE_LEAD CITY_CAP "(?:[ \t]+\\p{L}[\\p{L}\\p{M}'’.-]{0,40}){1,3}[ \t]*,?[ \t]*$", PCRE2_UCP, NULL};

enum { LINE_OTHER, LINE_UNIT, LINE_STATE, LINE_POSTAL, LINE_CITY, LINE_POSTAL_FIRST };

static openmed_status line_kind(const char *t, size_t a, size_t b, int *kind, openmed_error *err) {
    int yes = 0;
    openmed_status st = matches(&unit_line_re, "address block", t, a, b, &yes, err);
    *kind = yes ? LINE_UNIT : LINE_OTHER;
    if (st == OPENMED_OK && !yes && (st = matches(&state_line_re, "address block", t, a, b, &yes, err)) == OPENMED_OK && yes)
        *kind = LINE_STATE;
    if (st == OPENMED_OK && !yes && (st = matches(&postal_line_re, "address block", t, a, b, &yes, err)) == OPENMED_OK && yes)
        *kind = LINE_POSTAL;
    if (st == OPENMED_OK && !yes && (st = matches(&city_line_re, "address block", t, a, b, &yes, err)) == OPENMED_OK && yes)
        *kind = LINE_CITY;
    if (st == OPENMED_OK && !yes && (st = matches(&postal_first_line_re, "address block", t, a, b, &yes, err)) == OPENMED_OK && yes)
        *kind = LINE_POSTAL_FIRST;
    int capitalised;
    if (st == OPENMED_OK && !yes && (st = matches(&name_line_re, "address block", t, a, b, &yes, err)) == OPENMED_OK && yes &&
        words_ok(t, a, b, &capitalised))
        *kind = LINE_CITY;
    return st;
}

/* A mark that may lead an address line: spaces, a mail quote's '>', a comma, a bullet ("???" where a
 * bullet was lost). */
static int is_line_lead(unsigned char c) { return c < 0x80 && !isalnum(c) && c != '(' && c != '#' && c != '\n'; }

/* The line [a, b) without its leading marks and its trailing spaces and commas. */
static int push_line(om_span_list *out, const char *t, size_t a, size_t b, const char *label, openmed_error *err,
                     openmed_status *st) {
    while (a < b && is_line_lead((unsigned char)t[a])) a++;
    while (b > a && strchr(" \t,", t[b - 1])) b--;
    if (b > a) *st = om_detect_push(out, a, b, label, 0.85f, err);
    return *st == OPENMED_OK;
}

/* After a street that ends its line: up to 5 lines below it that read as the rest of the address.
 * City lines are taken when a unit, state or postal line follows them, or (2 at most) when the block
 * ends right after them (blank line, text end) below a unit line (`last` is LINE_UNIT when the block
 * starts under one). One blank line inside the block is passed when a postal line follows it
 * ("Narsarsuaq\n\n Greenlander 60864"); below a unit line and a city line, or below a state line,
 * a last line that goes on into a sentence gives the places it starts with ("Suite 240\n West
 * Brook\n New Zealand. Please call me", ", SV\n 77233 for this card"). */
static openmed_status address_block(const char *t, size_t n, size_t end, int last, om_span_list *out,
                                    openmed_error *err) {
    size_t i = end;
    while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == ',')) i++;
    if (i >= n || t[i] != '\n') return OPENMED_OK;
    size_t pending[2][2];
    int n_pending = 0, blank_passed = 0;
    openmed_status st = OPENMED_OK;
    for (int lines = 0; lines < 5 && i < n && t[i] == '\n' && st == OPENMED_OK; lines++) {
        size_t a = i + 1, b = a;
        while (b < n && t[b] != '\n') b++;
        if (b - a > 80) break;
        int kind;
        if ((st = line_kind(t, a, b, &kind, err)) != OPENMED_OK) return st;
        if (a == b && !blank_passed && last != LINE_OTHER && b < n) { /* one blank line, then a postal line */
            size_t c = b + 1, d = c;
            while (d < n && t[d] != '\n') d++;
            int next;
            if ((st = line_kind(t, c, d, &next, err)) != OPENMED_OK) return st;
            if (next == LINE_POSTAL) {
                blank_passed = 1;
                i = b;
                continue;
            }
        }
        if (kind == LINE_OTHER) {
            if ((n_pending && last == LINE_UNIT) || last == LINE_STATE) { /* the last line runs on into the text */
                for (int k = 0; k < n_pending; k++)
                    if (!push_line(out, t, pending[k][0], pending[k][1], "CITY", err, &st)) return st;
                n_pending = 0;
                size_t s = a;
                while (s < b && is_line_lead((unsigned char)t[s])) s++;
                place_run(t, b, s, 0, out, err, &st);
            }
            break;
        }
        if (kind != LINE_CITY) last = kind;
        if (kind == LINE_CITY) {
            if (n_pending == 2) break;
            pending[n_pending][0] = a, pending[n_pending][1] = b, n_pending++;
        } else {
            for (int k = 0; k < n_pending; k++)
                if (!push_line(out, t, pending[k][0], pending[k][1], "CITY", err, &st)) return st;
            n_pending = 0;
            if (kind == LINE_POSTAL) { /* the postal code, and the words before it as the city */
                size_t e = b;
                while (e > a && (t[e - 1] == ' ' || t[e - 1] == '\t')) e--;
                size_t z = e;
                while (z > a && (isalnum((unsigned char)t[z - 1]) || t[z - 1] == '-' ||
                                 (t[z - 1] == ' ' && z - 1 > a && isdigit((unsigned char)t[z - 2]) && z < e && isdigit((unsigned char)t[z])))) z--;
                if (!push_line(out, t, z, e, "ZIPCODE", err, &st) || !push_line(out, t, a, z, "CITY", err, &st)) return st;
            } else if (kind == LINE_POSTAL_FIRST) { /* the postal code (its "TK" too), then the place */
                size_t z = a;
                while (z < b && is_line_lead((unsigned char)t[z])) z++;
                size_t ze = z;
                for (;;) { /* tokens with a digit, or a capital pair ("TK", "AB" of "1012 AB") */
                    size_t w = ze;
                    while (w < b && (t[w] == ' ' || t[w] == '\t')) w++;
                    size_t we = w;
                    while (we < b && !strchr(" \t,", t[we])) we++;
                    if (we == w || !(count_digits(t, w, we) || is_code(t, w, we) || (we - w == 2 && isupper((unsigned char)t[w])) ||
                                     (we - w == 4 && !memcmp(t + w, "ΤΚ", 4)))) break;
                    if (!count_digits(t, w, we) && ze > z && !count_digits(t, z, ze)) break;
                    ze = we;
                }
                if (!push_line(out, t, z, ze, "ZIPCODE", err, &st) || !push_line(out, t, ze, b, "CITY", err, &st)) return st;
            } else if (!push_line(out, t, a, b, kind == LINE_UNIT ? "STREET_ADDRESS" : "STATE", err, &st)) {
                return st;
            }
        }
        i = b;
    }
    if (st != OPENMED_OK) return st;
    /* city lines at the block's end */
    int block_end = i >= n || (t[i] == '\n' && (i + 1 >= n || t[i + 1] == '\n' || t[i + 1] == '\r'));
    if (block_end && last == LINE_UNIT) /* not a heading under a street line */
        for (int k = 0; k < n_pending; k++)
            if (!push_line(out, t, pending[k][0], pending[k][1], "CITY", err, &st)) return st;
    return st;
}

/* ---------------------------------------------------------------- places after a street on its line */

static int is_particle(const char *w, size_t n) {
    static const char *const particles[] = {"de", "del", "della", "di", "da", "do", "dos", "das", "du", "des", "la",
                                            "le", "les", "van", "von", "den", "der", "am", "im", "sur", "upon", "y"};
    for (size_t i = 0; i < sizeof particles / sizeof particles[0]; i++)
        if (strlen(particles[i]) == n && !strncasecmp(particles[i], w, n)) return 1;
    return 0;
}

enum { TOK_STOP, TOK_PLACE, TOK_CODE, TOK_PARTICLE, TOK_LOWER };

/* The places that follow on a line from a (not past line_end): words written with a capital (any
 * script), "(Greek)", particles between them and postal codes, up to the first other word; with
 * any_case, every word up to the line's (or sentence's) end within 6 words, or up to a stop word
 * within 3, when none is a stop word ("106 rúa olmos 44, belfast, south africa."). Pushed as one CITY span; returns
 * its end (a when none). */
static size_t place_run(const char *t, size_t line_end, size_t a, int any_case, om_span_list *out,
                        openmed_error *err, openmed_status *st) {
    size_t i = a, first = (size_t)-1, cap_end = 0, all_end = 0;
    int lowers = 0, frozen = 0, ended = 0, commas = 0, stopped = 0;
    for (int tokens = 0; tokens < 10; tokens++) {
        /* separators: spaces, commas, a slash ("Dias / AL") */
        while (i < line_end && (t[i] == ' ' || t[i] == '\t' || t[i] == ',' || t[i] == '/')) {
            if (t[i] != ' ' && t[i] != '\t' && ++commas > 5) break;
            i++;
        }
        if (commas > 5) break;
        if (i >= line_end || t[i] == '\n' || t[i] == '\r') {
            ended = 1;
            break;
        }
        size_t s = i;
        while (i < line_end && !strchr(" \t,/\n\r", t[i])) i++;
        size_t e = i, ce = e; /* ce: the word without its closing marks */
        int stop_after = 0;
        while (ce > s && strchr(".;:!?\"'", t[ce - 1])) ce--;
        if (ce < e && strchr(".;:!?", t[e - 1])) { /* a sentence ends here, unless "St." "Mt." */
            size_t letters = 0;
            for (size_t k = s; k < ce; k++) letters += isalpha((unsigned char)t[k]) != 0;
            stop_after = !(ce - s <= 3 && letters == ce - s && t[ce] == '.' && ce + 1 == e);
        }
        if (ce == s) break;
        size_t ws = s, we = ce; /* "(Greek)" */
        if (t[ws] == '(' && t[we - 1] == ')') ws++, we--;
        int kind;
        if (we <= ws) kind = TOK_STOP;
        else if (is_code(t, ws, we)) kind = TOK_CODE;
        else if (count_digits(t, ws, we) || !letter_at(t, ws)) kind = TOK_STOP;
        else if (is_stopword(t + ws, we - ws)) kind = TOK_STOP;
        else if (is_particle(t + ws, we - ws)) kind = TOK_PARTICLE;
        else kind = upper_at(t, ws) ? TOK_PLACE : TOK_LOWER;
        if (kind == TOK_STOP) {
            stopped = tokens;
            break;
        }
        if (first == (size_t)-1) {
            if (kind == TOK_PARTICLE) break;
            first = s;
        }
        /* one word in lower case between places stays in the run ("Nueva ex República"), two end it */
        lowers = kind == TOK_LOWER ? lowers + 1 : kind == TOK_PARTICLE ? lowers : 0;
        if (lowers >= 2) frozen = 1;
        if (!frozen && (kind == TOK_PLACE || kind == TOK_CODE)) cap_end = ce;
        all_end = ce;
        if (stop_after) {
            ended = 1;
            break;
        }
    }
    /* any case: up to the line's or sentence's end, or 3 words at most before a stop word ("nungatta
     * australia with her family") */
    size_t end = any_case && all_end && (ended || (stopped && stopped <= 3)) ? all_end : cap_end;
    if (first == (size_t)-1 || end <= first) return a;
    *st = om_detect_push(out, first, end, "CITY", 0.85f, err);
    return end;
}

/* The rest of a street's line after its end a: a house number or unit right after it ("πεντέλης"
 * then "210 apt. 999"), then the places (place_run). Returns where the address ends on the line. */
static size_t line_rest(const char *t, size_t n, size_t a, om_span_list *out, openmed_error *err,
                        openmed_status *st) {
    size_t line_end = a;
    while (line_end < n && t[line_end] != '\n' && line_end - a < 160) line_end++;
    size_t i = a;
    for (int k = 0; k < 4; k++) {
        size_t s = i;
        while (s < line_end && (t[s] == ' ' || t[s] == '\t' || t[s] == ',')) s++;
        size_t e = s;
        while (e < line_end && !strchr(" \t,", t[e])) e++;
        size_t w = e;
        while (w > s && t[w - 1] == '.') w--;
        if (w > s && is_unit_word(t + s, w - s)) { /* "Apt. 762", "suite #5" */
            size_t v = e;
            while (v < line_end && (t[v] == ' ' || t[v] == '\t' || t[v] == '#')) v++;
            size_t ve = v;
            while (ve < line_end && isalnum((unsigned char)t[ve])) ve++;
            if (!count_digits(t, v, ve) || ve - v > 6) break;
            i = ve;
            continue;
        }
        if (k == 0 && e > s && e - s <= 7 && isdigit((unsigned char)t[s]) && count_digits(t, s, e) >= (int)(e - s) - 1 &&
            s > a) { /* a house number after the street's name */
            size_t after = e;
            while (after < line_end && t[after] == ' ') after++;
            size_t ae = after;
            while (ae < line_end && isalpha((unsigned char)t[ae])) ae++;
            if (ae > after && is_stopword(t + after, ae - after)) break; /* "Oak Street 5 days" */
            i = e;
            continue;
        }
        break;
    }
    if (i > a) {
        size_t s = a;
        while (s < i && (t[s] == ' ' || t[s] == ',')) s++;
        *st = om_detect_push(out, s, i, "STREET_ADDRESS", 0.85f, err);
        if (*st != OPENMED_OK) return a;
    }
    size_t end = place_run(t, line_end, i, 1, out, err, st);
    return end > i ? end : i;
}

/* "Leon and Eyrarodda 66", "Katrina and Rúa do Paseo 46": a street named before "and" and a
 * street (one corner): 1 to 3 words before "and" (2 in lower case), after a stop word, a mark (':',
 * '|', a tab) or the line's start. Returns where the corner starts (s when there is none). */
static size_t corner_before(const char *t, size_t s) {
    size_t i = s;
    while (i > 0 && t[i - 1] == ' ') i--;
    if (i >= 1 && t[i - 1] == '&')
        i--;
    else if (i >= 3 && !strncasecmp(t + i - 3, "and", 3) && (i == 3 || !is_word_byte((unsigned char)t[i - 4])))
        i -= 3;
    else
        return s;
    size_t start = s;
    int words = 0;
    while (words < 3) {
        size_t e = i;
        while (e > 0 && t[e - 1] == ' ') e--;
        size_t b = e;
        while (b > 0 && is_word_byte((unsigned char)t[b - 1])) b--;
        if (b == e || is_stopword(t + b, e - b) || count_digits(t, b, e) || (!upper_at(t, b) && words == 2)) break;
        start = i = b;
        words++;
    }
    if (!words) return s;
    size_t p = start;
    while (p > 0 && t[p - 1] == ' ') p--;
    if (p == 0 || !is_word_byte((unsigned char)t[p - 1])) return start;
    size_t q = p;
    while (q > 0 && is_word_byte((unsigned char)t[q - 1])) q--;
    return q < p && is_stopword(t + q, p - q) ? start : s;
}

/* "12521 Belgrád rkp. 18.", "at 28030 Edeby 55": a number before a street on its line, at the line's
 * start or after a stop word or a colon. Returns where it starts (s when there is none). */
static size_t number_before(const char *t, size_t s) {
    size_t e = s;
    while (e > 0 && t[e - 1] == ' ') e--;
    if (e == s) return s;
    size_t b = e;
    while (b > 0 && isdigit((unsigned char)t[b - 1]) && e - b < 7) b--;
    if (b == e || e - b > 6 || (b > 0 && is_word_byte((unsigned char)t[b - 1]))) return s;
    size_t p = b;
    while (p > 0 && (t[p - 1] == ' ' || t[p - 1] == '\t')) p--;
    size_t l = p;
    while (l > 0 && is_line_lead((unsigned char)t[l - 1]) && t[l - 1] != ' ') l--;
    if (l == 0 || t[l - 1] == '\n' || (p > 0 && t[p - 1] == ':')) return b;
    size_t q = p;
    while (q > 0 && is_word_byte((unsigned char)t[q - 1])) q--;
    return q < p && is_stopword(t + q, p - q) ? b : s;
}

/* "the corner of Nieuwe Baan 473 St. and Inna Loop St.", "intersection of Main and 5th": two runs
 * of words with no stop word, one of them with a number, a street suffix or a capital. */
#define CTOK "[\\p{L}\\p{N}][\\p{L}\\p{M}\\p{N}'’./-]{0,40}"
static om_regex corner_re = {
    "(?<![\\w])(?:the[ \\t]+)?(?:corner|intersection|junction|crossroads?)[ \\t]+of[ \\t]+((?:" CTOK "[ \\t]+){0,5}?" CTOK
    ")[ \\t]+(?:and|&)[ \\t]+((?:" CTOK "[ \\t]+){0,5}" CTOK ")",
    PCRE2_CASELESS | PCRE2_UCP, NULL};

static om_regex street_end_re = {
    "(?:^|[ \\t])(?:" STRONG_SUFFIX "|" WEAK_SUFFIX ")\\.?$|(?:" GLUED_SUFFIX ")$", PCRE2_CASELESS | PCRE2_UCP, NULL};

/* A corner's street reads as one: a number in it, a street suffix at its end, or words with a
 * capital and lower-case letters ("Main", not "MOUTH"). */
static openmed_status corner_street_ok(const char *t, size_t a, size_t b, int *ok, openmed_error *err) {
    *ok = count_digits(t, a, b) > 0;
    for (size_t i = a; i < b && !*ok && upper_at(t, a); i++) *ok = islower((unsigned char)t[i]) || (unsigned char)t[i] >= 0x80;
    return *ok ? OPENMED_OK : matches(&street_end_re, "street corner", t, a, b, ok, err);
}

static openmed_status corner_hit(const char *t, size_t n, const om_regex_match *m, void *ctx, openmed_error *err) {
    (void)n;
    size_t a1 = m->groups[2], b1 = m->groups[3], a2 = m->groups[4], b2 = m->groups[5];
    int capitalised;
    if (!words_ok(t, a1, b1, &capitalised)) return OPENMED_OK;
    /* the second street ends before a stop word, and before a word in lower case after capitals */
    int cap = upper_at(t, a2) || isdigit((unsigned char)t[a2]);
    size_t e = a2;
    for (size_t i = a2; i < b2;) {
        size_t s = i;
        while (i < b2 && t[i] != ' ' && t[i] != '\t') i++;
        size_t we = i;
        while (we > s && strchr(".,", t[we - 1])) we--;
        if (we > s && (is_stopword(t + s, we - s) ||
                       (cap && s > a2 && !upper_at(t, s) && !isdigit((unsigned char)t[s]) && !is_particle(t + s, we - s))))
            break;
        e = we;
        if (we < i && t[we] == '.' && we - s > 3) break; /* a sentence's end */
        while (i < b2 && (t[i] == ' ' || t[i] == '\t')) i++;
    }
    int ok1 = 0, ok2 = 0;
    if (e <= a2) return OPENMED_OK;
    openmed_status st = corner_street_ok(t, a1, b1, &ok1, err);
    if (st == OPENMED_OK) st = corner_street_ok(t, a2, e, &ok2, err);
    if (st != OPENMED_OK || !(ok1 || ok2)) return st;
    return om_detect_push(ctx, m->start, e, "STREET_ADDRESS", 0.85f, err);
}

/* A unit alone on its line ("Apt. 297", "> Suite 179", "??? Suite 967"): the line above is its
 * street, from after its last stop word or colon, when that part holds a number ("28030 Edeby 55",
 * "... address with Serenade Opus 420 Gairbekov Rapids"), and the lines below are the rest of the
 * block. */
static om_regex unit_alone_re = {
    "(?m)^[^\\p{L}\\p{N}\\n(#]{0,6}(?:apt|apartment|suite|ste|flat)\\.?[ \\t]*#?[ \\t]*\\d{1,5}[A-Za-z]?[ \\t,]*$",
    PCRE2_CASELESS | PCRE2_UCP, NULL};

static openmed_status unit_alone_hit(const char *t, size_t n, const om_regex_match *m, void *ctx, openmed_error *err) {
    om_span_list *out = ctx;
    openmed_status st = OPENMED_OK;
    if (!push_line(out, t, m->start, m->end, "STREET_ADDRESS", err, &st)) return st;
    if (m->start >= 2 && t[m->start - 1] == '\n') {
        size_t b = m->start - 1, a = b;
        while (a > 0 && t[a - 1] != '\n') a--;
        size_t s = b;
        int words = 0;
        while (s > a && words < 8) { /* back over the words that are no stop word */
            size_t e = s;
            while (e > a && (t[e - 1] == ' ' || t[e - 1] == '\t')) e--;
            size_t w = e;
            while (w > a && t[w - 1] != ' ' && t[w - 1] != '\t') w--;
            size_t we = e;
            while (we > w && strchr(".,", t[we - 1])) we--;
            int sentence_end = strchr(":?!", t[e - 1]) || (t[e - 1] == '.' && e - w > 4 && !count_digits(t, w, e));
            if (w == e || sentence_end || is_stopword(t + w, we - w)) break;
            s = w;
            words++;
        }
        if (s < b && count_digits(t, s, b) && !push_line(out, t, s, b, "STREET_ADDRESS", err, &st)) return st;
    }
    return address_block(t, n, m->end, LINE_UNIT, out, err);
}

/* A place then a postal code in a sentence: "in Bjert 6091", "in København K 1421", "in ÖVERTURINGEN
 * 840 24" (not a year: "in Boston 2019"; not a dose: "in Lantus 1000 units"). */
static om_regex place_postal_re = {
    "(?<![\\w])(?i:in|at|from|near|of)[ \\t]+\\K(\\p{Lu}[\\p{L}\\p{M}'’.-]{0,40}(?:[ \\t]+\\p{Lu}[\\p{L}\\p{M}'’.-]{0,40}){0,2})"
    "[ \\t]+(\\d{5}(?:-\\d{3,4})?|\\d{4}|\\d{3} \\d{2}|\\d{2}-\\d{3}|\\d{4}-\\d{3})(?![\\w]|[.,/:-]\\d)",
    PCRE2_UCP, NULL};

static openmed_status place_postal_hit(const char *t, size_t n, const om_regex_match *m, void *ctx,
                                       openmed_error *err) {
    size_t a = m->groups[2], b = m->groups[3], z = m->groups[4], ze = m->groups[5];
    if (ze - z == 4 && (!strncmp(t + z, "19", 2) || !strncmp(t + z, "20", 2))) return OPENMED_OK;
    static const char *const units[] = {"mg", "mcg", "g", "kg", "ml", "l", "units", "unit", "u", "iu", "mmhg", "bpm",
                                        "mmol", "meq", "cells", "copies", "ng", "pg", "mm", "cm", "m", "km", "cc",
                                        "times", "x", "%", "hours", "days", "patients", "cases"};
    size_t u = ze;
    while (u < n && t[u] == ' ') u++;
    size_t ue = u;
    while (ue < n && (isalpha((unsigned char)t[ue]) || t[ue] == '%')) ue++;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (ue > u && strlen(units[i]) == ue - u && !strncasecmp(units[i], t + u, ue - u)) return OPENMED_OK;
    /* the place's words: no stop word, month or weekday ("in March 12345" is no place) */
    for (size_t i = a; i < b;) {
        size_t s = i;
        while (i < b && t[i] != ' ' && t[i] != '\t') i++;
        size_t e = i;
        while (e > s && t[e - 1] == '.') e--;
        int calendar = 0;
        openmed_status st = matches(&calendar_re, "postal code", t, s, e, &calendar, err);
        if (st != OPENMED_OK) return st;
        if (is_stopword(t + s, e - s) || calendar) return OPENMED_OK;
        while (i < b && (t[i] == ' ' || t[i] == '\t')) i++;
    }
    openmed_status st = om_detect_push(ctx, a, b, "CITY", 0.8f, err);
    if (st == OPENMED_OK) st = om_detect_push(ctx, z, ze, "ZIPCODE", 0.85f, err);
    return st;
}

/* a postal code after a state or province code: "MA 02115", ", ma 02115-1234", "ON K1A 0B1" */
static om_regex state_zip_re = {
    "(?:(?<=,)\\s*|(?<![\\w]))(?i:AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|"
    "NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR|AB|BC|MB|NB|NL|NS|NT|NU|ON|PE|QC|SK|YT)"
    "\\.?,?\\s+\\K(" POSTAL ")(?![\\w]|-\\d)",
    PCRE2_UCP, NULL};

static openmed_status state_zip_hit(const char *t, size_t n, const om_regex_match *m, void *ctx, openmed_error *err) {
    (void)n;
    /* the state code in lower case counts only after a comma (", ma 02115"): "in 12345" is no ZIP */
    size_t k = m->start;
    while (k > 0 && (t[k - 1] == ' ' || t[k - 1] == ',' || t[k - 1] == '.')) k--;
    size_t s0 = k >= 2 ? k - 2 : 0;
    int upper = isupper((unsigned char)t[s0]) && isupper((unsigned char)t[s0 + 1]);
    size_t c = s0;
    while (c > 0 && t[c - 1] == ' ') c--;
    if (!upper && !(c > 0 && t[c - 1] == ',')) return OPENMED_OK;
    /* four digits after a state code are a year more often than a postal code ("IN 2019", "et AL., 2019",
     * "IN 2018 BY") */
    if (count_digits(t, m->start, m->end) == 4 &&
        (m->end - m->start == 4 || !strncmp(t + m->start, "19", 2) || !strncmp(t + m->start, "20", 2)))
        return OPENMED_OK;
    return om_detect_push(ctx, m->start, m->end, "ZIPCODE", 0.9f, err);
}

openmed_status om_detect_address(const om_detect_input *in, om_span_list *out, openmed_error *err) {
    if (!in->options->safety_sweep) return OPENMED_OK;
    const char *t = in->view->text;
    size_t n = in->view->len;
    openmed_status st = OPENMED_OK;
    size_t first = out->n;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0] && st == OPENMED_OK; s++) {
        addr_ctx a = {out, &shapes[s]};
        st = om_regex_each(&shapes[s].re, shapes[s].what, t, n, shape_hit, &a, err);
    }
    if (st == OPENMED_OK) st = om_regex_each(&cue_re, "address cue", t, n, cue_hit, out, err);
    if (st == OPENMED_OK) st = om_regex_each(&place_cue_re, "address place cue", t, n, place_cue_hit, out, err);
    if (st == OPENMED_OK) st = om_regex_each(&corner_re, "street corner", t, n, corner_hit, out, err);
    /* after every street (these and the model's): the corner's other street before it, the rest of
     * its line, the postal code and the city, the block below it */
    size_t streets = out->n;
    for (size_t k = 0; k < streets + in->found->n && st == OPENMED_OK; k++) {
        const om_pii_span *sp = k < streets ? &out->items[k] : &in->found->items[k - streets];
        if (k < first) continue;
        if (k >= streets && !om_label_is_street(sp->label)) continue;
        if (k < streets && strcmp(sp->label, "STREET_ADDRESS")) continue;
        /* sp may point into out, which the pushes below can move: read it first */
        size_t s0 = sp->start, a = sp->end, b = a, end = a;
        /* the model's spans: a house number alone ("4241", "12a"; a card number is no street) or with
         * words ("Ilichova 23"; not one code such as "G5P5") */
        int letters = 0;
        for (size_t i = s0; i < a; i++) letters += isalpha((unsigned char)t[i]) || (unsigned char)t[i] >= 0x80;
        int numbered = k < streets || (count_digits(t, s0, a) && a - s0 <= 7 && letters <= 1) ||
                       (count_digits(t, s0, a) && letters && memchr(t + s0, ' ', a - s0) != NULL);
        for (size_t i = s0; i < a && !numbered && count_digits(t, s0, a); i++) numbered = isalpha((unsigned char)t[i]) || (unsigned char)t[i] >= 0x80;
        size_t s = numbered ? corner_before(t, s0) : s0;
        if (s == s0 && numbered) s = number_before(t, s0);
        if (s < s0) st = om_detect_push(out, s, s0, "STREET_ADDRESS", 0.85f, err);
        if (st == OPENMED_OK && numbered) end = line_rest(t, n, a, out, err, &st);
        int lines = 0;
        while (b < n && b - a < 120 && !(t[b] == '\n' && ++lines > 1) && t[b] != '|' && t[b] != '\t') b++;
        tail_ctx c = {out, a, t, n};
        if (st == OPENMED_OK) st = om_regex_each(&tail_re, "postal code", t + a, b - a, tail_hit, &c, err);
        if (st == OPENMED_OK) st = address_block(t, n, end, LINE_OTHER, out, err);
    }
    if (st == OPENMED_OK) st = om_regex_each(&unit_alone_re, "address unit", t, n, unit_alone_hit, out, err);
    if (st == OPENMED_OK) st = om_regex_each(&place_postal_re, "place and postal code", t, n, place_postal_hit, out, err);
    if (st == OPENMED_OK) st = om_regex_each(&state_zip_re, "state and ZIP", t, n, state_zip_hit, out, err);
    return st;
}
