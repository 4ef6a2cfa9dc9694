# calm_add_compile_fail_tests(DIR)
#
# Registers the CTest test `compile_fail.<stem>` for every DIR/*.cpp. The first line of each
# file states the diagnostic it must produce, as a CMake regular expression:
#
#   // expect: fold\(\) over a stream with RandomBatch
#
# The test passes only when the compiler rejects the file and its output matches the regex
# (see run_compile_fail.cmake, which reads the line at test time, so editing it needs no
# reconfigure).
#
# Every file is compiled with the library's two umbrella headers included first, from a header
# precompiled once by the build (target calm_compile_fail_pch): nearly every file includes them,
# and parsing them is most of a file's time (g++: 2.6 s a file, 0.9 s from the precompiled
# header; clang 2.2 s and 0.7 s). A file that includes less still sees what it includes, so its
# diagnostic is the same; checked by every file's test under both compilers.
set(CALM_RUN_COMPILE_FAIL "${CMAKE_CURRENT_LIST_DIR}/run_compile_fail.cmake")

function(calm_add_compile_fail_tests dir)
  set(pch_header "${CMAKE_CURRENT_BINARY_DIR}/compile_fail_pch/calm_all.hpp")
  file(CONFIGURE OUTPUT "${pch_header}"
       CONTENT "#include \"flow/flow.hpp\"\n#include \"lattices/lattices.hpp\"\n")
  # Both compilers take the precompiled form of `-include X` from X.gch or X.pch beside it.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    set(pch "${pch_header}.pch")
  else()
    set(pch "${pch_header}.gch")
  endif()
  file(GLOB_RECURSE headers CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/include/*.hpp")
  # The same language flags as run_compile_fail.cmake: a compiler ignores (g++) or refuses
  # (clang) a precompiled header built with others.
  add_custom_command(OUTPUT "${pch}"
    COMMAND "${CMAKE_CXX_COMPILER}" -std=c++20 -x c++-header "-I${PROJECT_SOURCE_DIR}/include"
            "${pch_header}" -o "${pch}"
    DEPENDS ${headers} "${pch_header}"
    COMMENT "Precompiling the headers of the compile-fail tests"
    VERBATIM)
  add_custom_target(calm_compile_fail_pch ALL DEPENDS "${pch}")

  file(GLOB sources CONFIGURE_DEPENDS "${dir}/*.cpp")
  foreach(source IN LISTS sources)
    get_filename_component(stem "${source}" NAME_WLE)
    add_test(NAME compile_fail.${stem}
      COMMAND "${CMAKE_COMMAND}"
        "-DCOMPILER=${CMAKE_CXX_COMPILER}"
        "-DINCLUDE_DIR=${PROJECT_SOURCE_DIR}/include"
        "-DSOURCE=${source}"
        "-DPRELUDE=${pch_header}"
        -P "${CALM_RUN_COMPILE_FAIL}")
  endforeach()
endfunction()
