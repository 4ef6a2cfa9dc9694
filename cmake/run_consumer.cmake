# Drives the consumer test: tests/consumer is a project outside calm that uses it.
#
#   cmake -DMODE=install -DCALM_BINARY_DIR=<build> -DPREFIX=<prefix> -P run_consumer.cmake
#     installs calm from <build> into a fresh <prefix>;
#   cmake -DMODE=package|subdirectory -DCONSUMER_SOURCE_DIR=<tests/consumer>
#         -DWORK_DIR=<fresh dir> -DGENERATOR=<gen> -DMAKE_PROGRAM=<ninja> -DCXX_COMPILER=<c++>
#         [-DBUILD_TYPE=<type>] [-DPREFIX=<prefix>] [-DCALM_SOURCE_DIR=<calm>]
#         -P run_consumer.cmake
#     configures the consumer in a fresh WORK_DIR, finding calm with find_package(calm) in
#     PREFIX or with add_subdirectory(CALM_SOURCE_DIR), builds it and runs it.
cmake_minimum_required(VERSION 3.22)

if(MODE STREQUAL "install")
  file(REMOVE_RECURSE "${PREFIX}")
  execute_process(COMMAND "${CMAKE_COMMAND}" --install "${CALM_BINARY_DIR}" --prefix "${PREFIX}"
                  COMMAND_ECHO STDOUT COMMAND_ERROR_IS_FATAL ANY)
  return()
endif()

if(MODE STREQUAL "package")
  set(locate "-DCMAKE_PREFIX_PATH=${PREFIX}")
elseif(MODE STREQUAL "subdirectory")
  set(locate "-DCALM_SOURCE_DIR=${CALM_SOURCE_DIR}")
else()
  message(FATAL_ERROR "MODE must be install, package or subdirectory, not `${MODE}`")
endif()

file(REMOVE_RECURSE "${WORK_DIR}")
execute_process(
  COMMAND "${CMAKE_COMMAND}" -S "${CONSUMER_SOURCE_DIR}" -B "${WORK_DIR}" -G "${GENERATOR}"
          "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
          "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}" "-DCALM_CONSUMER_MODE=${MODE}" "${locate}"
  COMMAND_ECHO STDOUT COMMAND_ERROR_IS_FATAL ANY)
# The consumer's own target, and what it links: in subdirectory mode "all" would compile
# calm's protocols library again at the consumer's flags (116 s of CPU at -O3), which the
# build that runs this test has just compiled with the same compiler.
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${WORK_DIR}" --target calm_consumer
                COMMAND_ECHO STDOUT COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND "${WORK_DIR}/calm_consumer" COMMAND_ECHO STDOUT COMMAND_ERROR_IS_FATAL ANY)
