# fixtures.cmake: the test fixtures as the tests read them. To keep the repository small,
# tests/fixtures stores large text files xz-compressed (NAME.xz) and a file that two folders share
# once, the second folder holding a relative symbolic link to it. om_mirror_fixtures copies the
# tree into the build tree, NAME.xz decompressed to NAME and each link as the file it points to.
# Included by tests/CMakeLists.txt (at configure time; a changed source file re-runs the configure
# step and is copied again), or run alone: cmake -DSRC=tests/fixtures -DDST=DIR -P tests/fixtures.cmake
find_program(OM_XZ xz REQUIRED)

# om_mirror_fixtures(SRC DST): mirror the fixture folder SRC into DST (see above).
function(om_mirror_fixtures src dst)
  if(CMAKE_SCRIPT_MODE_FILE)
    file(GLOB_RECURSE files LIST_DIRECTORIES false RELATIVE ${src} ${src}/*)
  else()
    file(GLOB_RECURSE files LIST_DIRECTORIES false RELATIVE ${src} CONFIGURE_DEPENDS ${src}/*)
  endif()
  foreach(rel IN LISTS files)
    set(in ${src}/${rel})
    if(NOT rel MATCHES "\\.xz$")
      configure_file(${in} ${dst}/${rel} COPYONLY)
      continue()
    endif()
    string(REGEX REPLACE "\\.xz$" "" out ${dst}/${rel})
    if(NOT CMAKE_SCRIPT_MODE_FILE)
      set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${in})
    endif()
    if(${in} IS_NEWER_THAN ${out})  # also true when ${out} does not exist yet
      get_filename_component(out_dir ${out} DIRECTORY)
      file(MAKE_DIRECTORY ${out_dir})
      execute_process(COMMAND ${OM_XZ} -dc ${in} OUTPUT_FILE ${out}.part RESULT_VARIABLE rc)
      if(NOT rc EQUAL 0)
        file(REMOVE ${out}.part)
        message(FATAL_ERROR "fixtures: cannot decompress ${in} (xz exit status ${rc})")
      endif()
      file(RENAME ${out}.part ${out})
    endif()
  endforeach()
endfunction()

if(CMAKE_SCRIPT_MODE_FILE)
  if(NOT SRC OR NOT DST)
    message(FATAL_ERROR "usage: cmake -DSRC=tests/fixtures -DDST=DIR -P tests/fixtures.cmake")
  endif()
  get_filename_component(SRC ${SRC} ABSOLUTE)
  get_filename_component(DST ${DST} ABSOLUTE)
  om_mirror_fixtures(${SRC} ${DST})
endif()
