# Warning flags for the project's own targets (generated and system code is not affected).
function(eda_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow=local
                         -Wnon-virtual-dtor -Wold-style-cast -Wimplicit-fallthrough
                         -Wno-missing-field-initializers)
  if(EDA_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# Unit tests: one ctest entry per test case, labelled "unit". Pure and fast: 30 s is plenty.
function(eda_unit_test target)
  add_executable(${target} ${ARGN})
  eda_target_warnings(${target})
  target_link_libraries(${target} PRIVATE GTest::gmock_main)
  gtest_discover_tests(${target} EXTRA_ARGS --gtest_shuffle DISCOVERY_TIMEOUT 30
                       PROPERTIES LABELS unit TIMEOUT 30
                       ENVIRONMENT "EDA_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

# Integration tests: the whole binary is one ctest entry (it starts its own PostgreSQL and/or
# nats-server once for all its cases), labelled "integration", its cases in a random order.
# They take the resource lock "cpu": each runs real servers against deadlines, and two of them
# on the same cores (ctest -j) would starve each other into timeouts; unit tests still run beside.
function(eda_integration_test target)
  add_executable(${target} ${ARGN})
  eda_target_warnings(${target})
  target_link_libraries(${target} PRIVATE GTest::gmock_main eda::testing)
  add_test(NAME ${target} COMMAND ${target} --gtest_color=no --gtest_shuffle)
  eda_integration_test_properties(${target})
endfunction()

# The ctest properties every integration test has, for those not built by eda_integration_test.
function(eda_integration_test_properties test)
  set_tests_properties(${test} PROPERTIES LABELS integration TIMEOUT 600 RESOURCE_LOCK cpu
    ENVIRONMENT "EDA_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

# eda_embed_migrations(<target> <namespace> <dir>): compiles the <version>_<name>.sql files of
# <dir> into <target> as `std::vector<eda::pg::Migration> <namespace>::Migrations()`, so a service
# binary carries its schema. Editing a file re-runs CMake.
function(eda_embed_migrations target namespace dir)
  file(GLOB files CONFIGURE_DEPENDS ${dir}/*.sql)
  list(SORT files)
  set(entries "")
  foreach(f IN LISTS files)
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${f})
    get_filename_component(stem ${f} NAME_WLE)
    string(REGEX MATCH "^[0-9]+" version ${stem})
    string(REGEX REPLACE "^[0-9]+_" "" label ${stem})
    file(READ ${f} sql)
    string(APPEND entries "      {${version}, \"${label}\", R\"eda_sql(${sql})eda_sql\"},\n")
  endforeach()
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${target}_migrations.cc)
  # @ONLY: ${...} inside the SQL (e.g. PL/pgSQL) is left alone.
  file(CONFIGURE OUTPUT ${out} @ONLY CONTENT "// Generated from @dir@ by eda_embed_migrations.
#include <vector>

#include \"libs/pg/migrations.h\"

namespace @namespace@ {

std::vector<eda::pg::Migration> Migrations() {
  return {
@entries@  };
}

}  // namespace @namespace@
")
  target_sources(${target} PRIVATE ${out})
endfunction()

# eda_domain_library(<target> [libs...]): a service's domain library (services/README.md). It
# links the aggregate base, the validation helpers and the given libraries (its private event
# proto), and configuring fails if anything it links reaches libpq, nats.c or gRPC.
function(eda_domain_library target)
  eda_target_warnings(${target})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${target} PUBLIC eda::aggregate eda::common ${ARGN})
  set(seen)
  set(queue ${target})
  while(queue)
    list(POP_FRONT queue t)
    if(NOT TARGET ${t} OR t IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${t})
    get_target_property(aliased ${t} ALIASED_TARGET)
    if(aliased)
      list(APPEND queue ${aliased})
      continue()
    endif()
    get_target_property(type ${t} TYPE)
    set(props INTERFACE_LINK_LIBRARIES)
    if(NOT type STREQUAL "INTERFACE_LIBRARY")
      list(APPEND props LINK_LIBRARIES)
    endif()
    foreach(prop IN LISTS props)
      get_target_property(deps ${t} ${prop})
      foreach(dep IN LISTS deps)
        if(dep MATCHES "PostgreSQL|NATS|gRPC|grpc|^eda::(pg|messaging|outbox|grpcserver|service)$")
          message(FATAL_ERROR "domain library ${target} reaches ${dep} (through ${t})")
        endif()
        list(APPEND queue ${dep})
      endforeach()
    endforeach()
  endwhile()
endfunction()
