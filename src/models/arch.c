/* arch.c: the table of architecture families and the model_type dispatch over it.
 * Families are weak references so the table names every planned family while each lives in
 * its own file; a family not linked in is simply skipped. */
#include "models/arch.h"

#include <stddef.h>

extern const om_arch om_arch_bert __attribute__((weak));
extern const om_arch om_arch_deberta __attribute__((weak));
extern const om_arch om_arch_modernbert __attribute__((weak));
extern const om_arch om_arch_longformer __attribute__((weak));
extern const om_arch om_arch_privacy_filter __attribute__((weak));

const om_arch *om_arch_find(const char *model_type) {
    const om_arch *families[] = {&om_arch_bert, &om_arch_deberta, &om_arch_modernbert,
                                 &om_arch_longformer, &om_arch_privacy_filter};
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
        if (families[i] && families[i]->matches(model_type)) return families[i];
    return NULL;
}
