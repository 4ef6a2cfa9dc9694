# cmake -DCOMPILER=<c++> -DINCLUDE_DIR=<calm>/include -DSOURCE=<file.cpp> -P run_compile_fail.cmake
#
# Succeeds only when COMPILER rejects SOURCE and the diagnostics match the regex on SOURCE's
# first line, `// expect: <regex>`. On failure it prints what the compiler said.
cmake_minimum_required(VERSION 3.22)

file(READ "${SOURCE}" text)
if(NOT text MATCHES "^// expect: ([^\r\n]*)")
  message(FATAL_ERROR "${SOURCE}: the first line must be `// expect: <regex>`")
endif()
string(STRIP "${CMAKE_MATCH_1}" expected)
if(expected STREQUAL "")
  message(FATAL_ERROR "${SOURCE}: the regex after `// expect:` is empty, it would match anything")
endif()

# PRELUDE, optional: a header to include first, precompiled beside it (CalmCompileFail.cmake).
set(prelude)
if(DEFINED PRELUDE)
  set(prelude -include "${PRELUDE}")
endif()

execute_process(
  COMMAND "${COMPILER}" -std=c++20 -fsyntax-only -fdiagnostics-color=never "-I${INCLUDE_DIR}"
          ${prelude} "${SOURCE}"
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)

if(rc EQUAL 0)
  set(verdict "compiled, but must be rejected with a diagnostic matching")
elseif(NOT output MATCHES "${expected}")
  set(verdict "was rejected, but no diagnostic matched")
else()
  message(STATUS "${SOURCE}: rejected as expected (matched `${expected}`)")
  return()
endif()
message("The compiler said:\n${output}")  # verbatim; FATAL_ERROR would rewrap it
message(FATAL_ERROR "${SOURCE} ${verdict} `${expected}`")
