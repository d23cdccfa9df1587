# Small helpers so each layer's CMakeLists.txt stays a few lines long.

# leasewire_library(NAME SRCS ... DEPS ...)
# Builds leasewire_<NAME>, aliased leasewire::<NAME>, with public headers in
# include/leasewire/<NAME>.
function(leasewire_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_library(leasewire_${name} STATIC ${ARG_SRCS})
  add_library(leasewire::${name} ALIAS leasewire_${name})
  target_include_directories(leasewire_${name}
    PUBLIC ${PROJECT_SOURCE_DIR}/include
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(leasewire_${name} PUBLIC ${ARG_DEPS})
endfunction()

# leasewire_test(NAME SRCS ... DEPS ... [LABELS ...] [TIMEOUT s])
# One GoogleTest binary, registered with ctest as one test (so a crash in
# it is one visible failure, not a silently missing case).
function(leasewire_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src
                                             ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest_main
                                        GTest::gmock)
  target_compile_definitions(${name} PRIVATE
    LEASEWIRE_CASES_DIR="${LEASEWIRE_CASES_DIR}")
  add_test(NAME ${name} COMMAND ${name} --gtest_brief=1)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT}
                                          LABELS "unit;${ARG_LABELS}")
endfunction()

# leasewire_benchmark(NAME SRCS ... DEPS ...)
function(leasewire_benchmark name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src
                                             ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark)
endfunction()

# leasewire_fuzzer(NAME SRCS ... DEPS ... [SECONDS s] [CORPUS dir])
# A libFuzzer binary plus a ctest entry that runs it for SECONDS with the
# corpus in CORPUS (copied to the build tree so runs never write to src/).
function(leasewire_fuzzer name)
  cmake_parse_arguments(ARG "" "SECONDS;CORPUS" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src
                                             ${PROJECT_SOURCE_DIR}/tests)
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  if(NOT ARG_SECONDS)
    set(ARG_SECONDS 60)
  endif()
  set(run_corpus ${CMAKE_CURRENT_BINARY_DIR}/${name}_corpus)
  add_test(NAME ${name}
    COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=1
      ${PROJECT_SOURCE_DIR}/tools/run-fuzzer.sh $<TARGET_FILE:${name}>
      ${ARG_CORPUS} ${run_corpus} ${ARG_SECONDS})
  math(EXPR timeout "${ARG_SECONDS} + 240")
  set_tests_properties(${name} PROPERTIES TIMEOUT ${timeout} LABELS "fuzz")
endfunction()
