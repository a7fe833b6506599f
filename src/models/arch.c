/* arch.c: the table of architecture families and the model_type dispatch over it. */
#include "models/arch.h"

#include <stddef.h>

extern const om_arch om_arch_bert;           /* bert.c: bert, distilbert, roberta, xlm-roberta, camembert, electra */
extern const om_arch om_arch_deberta;        /* deberta.c: deberta-v2 (v2 and v3 checkpoints) */
extern const om_arch om_arch_modernbert;     /* modernbert.c */
extern const om_arch om_arch_longformer;     /* longformer.c */
extern const om_arch om_arch_privacy_filter; /* privacy_filter.c: openai_privacy_filter */

const om_arch *om_arch_find(const char *model_type) {
    const om_arch *families[] = {&om_arch_bert, &om_arch_deberta, &om_arch_modernbert,
                                 &om_arch_longformer, &om_arch_privacy_filter};
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
        if (families[i]->matches(model_type)) return families[i];
    return NULL;
}
