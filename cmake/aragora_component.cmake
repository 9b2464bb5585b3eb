# aragora_component(NAME SOURCES ... DEPS ...)
#   One folder = one static library `aragora_<NAME>`, includable from the repository root.
function(aragora_component name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(aragora_${name} STATIC ${ARG_SOURCES})
  target_include_directories(aragora_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(aragora_${name} PUBLIC ${ARG_DEPS})
endfunction()

# aragora_test(NAME SOURCES ... DEPS ... LABELS ... [TIMEOUT s])
#   A GoogleTest binary whose tests are registered with ctest under the given labels.
function(aragora_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  # Test code is half of what a build compiles and is built twice on every CI run (release and
  # sanitizers): its files go through the compiler as one (a unity build: gtest, CAF and
  # protobuf's headers parsed once per suite, not per file), and the release build compiles
  # them at -O1 (the code under test stays at -O2 in its libraries).
  set_target_properties(${name} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 0)
  target_compile_options(${name} PRIVATE $<$<CONFIG:RelWithDebInfo>:-O1>)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  # Listed when ctest runs, not after each link: the build does not stop to run every binary.
  # A test that forgets --data-dir fails (the default data dir cannot be made under /dev/null)
  # instead of writing into the user's ~/.local/share.
  gtest_discover_tests(${name}
    PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
               ENVIRONMENT "XDG_DATA_HOME=/dev/null/aragora-tests-give-a-data-dir"
    DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60)
endfunction()
