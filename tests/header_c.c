/* header_c.c: compiles include/openmed.h as strict C99 with -pedantic; the header is the contract. */
#include "openmed.h"

int om_header_c_compiled(void);
int om_header_c_compiled(void) {
    openmed_error err;
    err.status = OPENMED_OK;
    return (int)err.status + (int)sizeof(openmed_config) * 0;
}
