// header_main.cpp: includes openmed.h from C++ and links the strict-C object, proving both compile.
#include "openmed.h"

#include <cstdio>

extern "C" int om_header_c_compiled(void);

int main() {
    openmed_config cfg;
    openmed_config_init(&cfg);
    if (!openmed_version()[0]) return 1;
    if (om_header_c_compiled() != 0) return 1;
    std::printf("1 passed, 0 failed\n");
    return 0;
}
