# Warning flags for the project's own targets (generated and system code is not affected).
function(eda_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow=local
                         -Wnon-virtual-dtor -Wold-style-cast -Wimplicit-fallthrough
                         -Wno-missing-field-initializers)
  if(EDA_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# Unit tests: one ctest entry per test case, labelled "unit".
function(eda_unit_test target)
  add_executable(${target} ${ARGN})
  eda_target_warnings(${target})
  target_link_libraries(${target} PRIVATE GTest::gmock_main)
  gtest_discover_tests(${target} PROPERTIES LABELS unit DISCOVERY_TIMEOUT 30)
endfunction()

# Integration tests: the whole binary is one ctest entry (it starts its own PostgreSQL and/or
# nats-server once for all its cases), labelled "integration".
function(eda_integration_test target)
  add_executable(${target} ${ARGN})
  eda_target_warnings(${target})
  target_link_libraries(${target} PRIVATE GTest::gmock_main eda::testing)
  add_test(NAME ${target} COMMAND ${target} --gtest_color=no)
  set_tests_properties(${target} PROPERTIES LABELS integration TIMEOUT 600
    ENVIRONMENT "EDA_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()
