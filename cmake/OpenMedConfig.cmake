# OpenMedConfig.cmake: find_package(OpenMed) for an installed libopenmed; defines the imported target
# OpenMed::openmed (the shared library and include/openmed.h).
include("${CMAKE_CURRENT_LIST_DIR}/OpenMedTargets.cmake")
