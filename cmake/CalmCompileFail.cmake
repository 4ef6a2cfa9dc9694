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
set(CALM_RUN_COMPILE_FAIL "${CMAKE_CURRENT_LIST_DIR}/run_compile_fail.cmake")

function(calm_add_compile_fail_tests dir)
  file(GLOB sources CONFIGURE_DEPENDS "${dir}/*.cpp")
  foreach(source IN LISTS sources)
    get_filename_component(stem "${source}" NAME_WLE)
    add_test(NAME compile_fail.${stem}
      COMMAND "${CMAKE_COMMAND}"
        "-DCOMPILER=${CMAKE_CXX_COMPILER}"
        "-DINCLUDE_DIR=${PROJECT_SOURCE_DIR}/include"
        "-DSOURCE=${source}"
        -P "${CALM_RUN_COMPILE_FAIL}")
  endforeach()
endfunction()
