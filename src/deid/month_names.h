/* month_names.h: month names as a PCRE2 alternation for the date patterns of the sweep and of
 * labelled dates of birth: English (full and abbreviated) and German, French, Spanish, Italian,
 * Portuguese and Dutch (full), to be matched without case. */
#ifndef OM_DEID_MONTH_NAMES_H
#define OM_DEID_MONTH_NAMES_H

#define OM_MONTHS_EN                                                                                    \
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|" \
    "oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"

#define OM_MONTHS_OTHER                                                                                            \
    "januar|februar|m[äa]rz|maerz|mai|juni|juli|oktober|dezember|janvier|f[ée]vrier|mars|avril|juin|juillet|"     \
    "ao[ûu]t|septembre|octobre|novembre|d[ée]cembre|enero|febrero|marzo|abril|mayo|junio|julio|agosto|"            \
    "se?tiembre|octubre|noviembre|diciembre|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|"       \
    "dicembre|janeiro|fevereiro|mar[çc]o|maio|junho|julho|setembro|outubro|novembro|dezembro|januari|februari|"   \
    "maart|mei|augustus"

#endif
