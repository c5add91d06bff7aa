# eda_service(<ctx> DOMAIN <srcs> DOMAIN_TESTS <srcs> LIB <srcs> [LIB_TESTS <srcs>])
#
# The targets of one service (services/README.md), called from services/<ctx>/CMakeLists.txt:
#   <ctx>_api           api/messages.cc: its wire names, for other contexts and tools, with
#                       <ctx>_api_test (api/messages_test.cc) checking them against the proto;
#                       only the gRPC API's proto for a service without api/ (publishes nothing)
#   <ctx>_domain        the DOMAIN sources and domain/<ctx>_domain.proto, linking no
#                       infrastructure (eda_domain_library); DOMAIN_TESTS link only it
#   <ctx>_lib           the LIB sources (application, postgres, grpc, handlers), service.cc (its
#                       Wire(): the service's objects wired to a Runtime) and the embedded
#                       migrations/ (<ctx>::postgres::Migrations()); LIB_TESTS are unit tests of it
#   <ctx>               main.cc
#   <ctx>_service_test  <ctx>_service_test.cc, an integration test with <CTX>_BIN set
function(eda_service ctx)
  cmake_parse_arguments(ARG "" "" "DOMAIN;DOMAIN_TESTS;LIB;LIB_TESTS" ${ARGN})
  string(TOUPPER ${ctx} CTX)

  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/api/messages.cc)
    add_library(${ctx}_api api/messages.cc)
    eda_target_warnings(${ctx}_api)
    target_include_directories(${ctx}_api PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(${ctx}_api PUBLIC eda::messaging proto_${ctx})
    eda_unit_test(${ctx}_api_test api/messages_test.cc)
    target_link_libraries(${ctx}_api_test PRIVATE ${ctx}_api)
  else()  # a service that publishes nothing: its gRPC API only
    add_library(${ctx}_api INTERFACE)
    target_link_libraries(${ctx}_api INTERFACE proto_${ctx})
  endif()

  eda_add_proto_library(${ctx}_domain_proto PROTOS services/${ctx}/domain/${ctx}_domain.proto)
  add_library(${ctx}_domain ${ARG_DOMAIN})
  eda_domain_library(${ctx}_domain ${ctx}_domain_proto)
  eda_unit_test(${ctx}_domain_test ${ARG_DOMAIN_TESTS})
  target_link_libraries(${ctx}_domain_test PRIVATE ${ctx}_domain)

  add_library(${ctx}_lib ${ARG_LIB} service.cc)
  eda_target_warnings(${ctx}_lib)
  target_link_libraries(${ctx}_lib PUBLIC ${ctx}_domain ${ctx}_api eda::service eda::eventsourcing)
  eda_embed_migrations(${ctx}_lib ${ctx}::postgres ${CMAKE_CURRENT_SOURCE_DIR}/migrations)
  if(ARG_LIB_TESTS)
    eda_unit_test(${ctx}_test ${ARG_LIB_TESTS})
    target_link_libraries(${ctx}_test PRIVATE ${ctx}_lib)
  endif()

  add_executable(${ctx} main.cc)
  eda_target_warnings(${ctx})
  target_link_libraries(${ctx} PRIVATE ${ctx}_lib)

  eda_integration_test(${ctx}_service_test ${ctx}_service_test.cc)
  target_link_libraries(${ctx}_service_test PRIVATE ${ctx}_lib service_testing PkgConfig::HTTPLIB)
  add_dependencies(${ctx}_service_test ${ctx})
  set_property(TEST ${ctx}_service_test APPEND PROPERTY ENVIRONMENT
               "${CTX}_BIN=$<TARGET_FILE:${ctx}>")
endfunction()
