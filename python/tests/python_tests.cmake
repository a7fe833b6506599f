# python_tests.cmake: the ctest test of the Python package (label `python`, in scripts/test.sh's run):
# run_tests.py installs it into build/python-venv from this build and runs its pytest suite.
# Needs Debian's python3 with python3-cffi, python3-pytest, python3-venv, python3-dev (scripts/setup.sh).
find_program(OM_SYSTEM_PYTHON python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NOT OM_SYSTEM_PYTHON)
  find_program(OM_SYSTEM_PYTHON python3)
endif()
add_test(NAME test_python COMMAND ${OM_SYSTEM_PYTHON} ${CMAKE_SOURCE_DIR}/python/tests/run_tests.py ${CMAKE_BINARY_DIR})
set_tests_properties(test_python PROPERTIES LABELS python TIMEOUT 900)
