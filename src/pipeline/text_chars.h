/* text_chars.h: the character classes analyze_text's post-processing needs, on code points:
 * white space, word characters (letters, marks, digits), lower case, and the scripts written
 * without spaces between words (Han, kana, Thai, Lao, Khmer, Myanmar), where a "word" cannot be
 * read off the characters. */
#ifndef OM_PIPELINE_TEXT_CHARS_H
#define OM_PIPELINE_TEXT_CHARS_H

#include <stdint.h>

int om_char_is_space(uint32_t c);      /* Unicode White_Space (Python's str.isspace, less U+001C..1F) */
int om_char_is_letter(uint32_t c);     /* L* */
int om_char_is_lower(uint32_t c);      /* Ll */
int om_char_is_digit(uint32_t c);      /* Nd */
int om_char_is_alnum(uint32_t c);      /* L* or N* (Python's str.isalnum) */
int om_char_is_mark(uint32_t c);       /* M* */
int om_char_is_word(uint32_t c);       /* L*, M* or N* */
int om_char_is_unspaced(uint32_t c);   /* a script without spaces between words */

#endif
