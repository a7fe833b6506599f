/* unicode.c: the Unicode predicates HF's Rust code uses (char::is_whitespace, is_alphanumeric, the
 * unicode_categories crate's tables), answered from utf8proc. */
#include <utf8proc.h>

#include "tokenizer/internal.h"

/* ---------------------------------------------------------------- predicates */

static utf8proc_category_t cat(uint32_t cp) { return utf8proc_category((utf8proc_int32_t)cp); }

int om_uc_is_whitespace(uint32_t c) {
    /* Rust char::is_whitespace: the White_Space property. */
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
           c == 0x3000;
}

int om_uc_is_numeric(uint32_t c) {
    if (c < 0x80) return c >= '0' && c <= '9';
    utf8proc_category_t k = cat(c);
    return k == UTF8PROC_CATEGORY_ND || k == UTF8PROC_CATEGORY_NL || k == UTF8PROC_CATEGORY_NO;
}

int om_uc_is_alphanumeric(uint32_t c) {
    if (c < 0x80) return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
    utf8proc_category_t k = cat(c);
    /* char::is_alphabetic is the Alphabetic property: letters, Nl, and Other_Alphabetic marks. */
    if (k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO) return 1;
    if (k == UTF8PROC_CATEGORY_ND || k == UTF8PROC_CATEGORY_NL || k == UTF8PROC_CATEGORY_NO) return 1;
    return 0;
}

int om_uc_is_punctuation(uint32_t c) {
    utf8proc_category_t k = cat(c);
    return k >= UTF8PROC_CATEGORY_PC && k <= UTF8PROC_CATEGORY_PO;
}

int om_uc_is_bert_punctuation(uint32_t c) {
    if (c < 0x80)
        return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
    return om_uc_is_punctuation(c);
}

/* HF's BertNormalizer asks the `unicode_categories` crate, whose tables list UnicodeData.txt entries
 * one by one: no Cn entries at all (unassigned code points are not "other" there), and the Co
 * ranges only by their First/Last endpoints. So: Cc, Cf, and those endpoints. */
int om_uc_is_other(uint32_t c) {
    if (c < 0x80) return c < 0x20 || c == 0x7F;
    utf8proc_category_t k = cat(c);
    if (k == UTF8PROC_CATEGORY_CC || k == UTF8PROC_CATEGORY_CF) return 1;
    return c == 0xE000 || c == 0xF8FF || c == 0xF0000 || c == 0xFFFFD || c == 0x100000 || c == 0x10FFFD;
}

int om_uc_is_mark_nonspacing(uint32_t c) { return c >= 0x300 && cat(c) == UTF8PROC_CATEGORY_MN; }

int om_uc_is_chinese(uint32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
           (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}
