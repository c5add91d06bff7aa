# eda_add_proto_library(<name> PROTOS a.proto b.proto [GRPC] [IMPORT_DIRS dir...] [DEPS lib...])
#
# Runs protoc (and the gRPC plugin with GRPC) over the given files, which are named relative to
# the proto root (the directory of this project's proto/ tree unless IMPORT_DIRS adds more), and
# builds one static library of the generated code. Generated headers are included as
# "proto/<pkg>/<file>.pb.h" relative to the build tree's root.
function(eda_add_proto_library name)
  cmake_parse_arguments(ARG "GRPC" "ROOT" "PROTOS;IMPORT_DIRS;DEPS" ${ARGN})
  if(NOT ARG_ROOT)
    set(ARG_ROOT ${PROJECT_SOURCE_DIR})
  endif()
  set(out_root ${PROJECT_BINARY_DIR}/gen)
  set(srcs)
  set(include_flags -I${ARG_ROOT} -I${PROJECT_SOURCE_DIR})
  foreach(dir IN LISTS ARG_IMPORT_DIRS)
    list(APPEND include_flags -I${dir})
  endforeach()
  foreach(proto IN LISTS ARG_PROTOS)
    string(REGEX REPLACE "\\.proto$" "" stem ${proto})
    set(outs ${out_root}/${stem}.pb.cc ${out_root}/${stem}.pb.h)
    set(plugin_args)
    if(ARG_GRPC)
      list(APPEND outs ${out_root}/${stem}.grpc.pb.cc ${out_root}/${stem}.grpc.pb.h)
      set(plugin_args --grpc_out=${out_root}
          --plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>)
    endif()
    add_custom_command(
      OUTPUT ${outs}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${out_root}
      COMMAND protobuf::protoc ${include_flags} --cpp_out=${out_root} ${plugin_args}
              ${ARG_ROOT}/${proto}
      DEPENDS ${ARG_ROOT}/${proto} protobuf::protoc
      COMMENT "protoc ${proto}"
      VERBATIM)
    list(APPEND srcs ${outs})
  endforeach()
  add_library(${name} STATIC ${srcs})
  target_include_directories(${name} SYSTEM PUBLIC ${out_root})
  target_link_libraries(${name} PUBLIC protobuf::libprotobuf ${ARG_DEPS})
  if(ARG_GRPC)
    target_link_libraries(${name} PUBLIC gRPC::grpc++)
  endif()
endfunction()

set(EDA_PROTO_CMAKE_DIR ${CMAKE_CURRENT_LIST_DIR})  # where EdaEmbedDescriptorSet.cmake is

# eda_public_protos(<out-var>)
#
# The public protos of every context, in the order deploy/topology.conf names the contexts (its
# services): proto/<context>/<context>_service.proto (its gRPC API) and
# proto/<context>/<context>_api.proto (its integration messages), where they exist.
function(eda_public_protos out)
  set(topology ${PROJECT_SOURCE_DIR}/deploy/topology.conf)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${topology})
  file(STRINGS ${topology} entries REGEX "^(stream|publish|consume|call)[ \t]+[a-z]")
  set(contexts)
  foreach(entry IN LISTS entries)
    string(REGEX MATCH "^[a-z]+[ \t]+([a-z0-9_]+)" _ "${entry}")
    list(APPEND contexts ${CMAKE_MATCH_1})
  endforeach()
  list(REMOVE_DUPLICATES contexts)
  set(protos)
  foreach(context IN LISTS contexts)
    foreach(kind service api)
      set(file ${PROJECT_SOURCE_DIR}/proto/${context}/${context}_${kind}.proto)
      if(EXISTS ${file})
        list(APPEND protos ${file})
      endif()
    endforeach()
  endforeach()
  if(NOT protos)
    message(FATAL_ERROR "eda_public_protos: no context has a public proto")
  endif()
  set(${out} ${protos} PARENT_SCOPE)
endfunction()

# eda_embed_descriptor_set(<target> <namespace>)
#
# Adds to <target> a generated source defining `std::string_view <namespace>::DescriptorSet()`:
# a serialized google.protobuf.FileDescriptorSet of every context's public protos
# (eda_public_protos), each preceded by its imports. A tool builds a DescriptorPool from it and so
# knows every context's services and messages without linking their code.
function(eda_embed_descriptor_set target namespace)
  eda_public_protos(protos)
  # Also makes the build configure again when a proto file appears or goes.
  file(GLOB_RECURSE all_protos CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/proto/*.proto)
  set(set_file ${CMAKE_CURRENT_BINARY_DIR}/${target}_descriptor_set.pb)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${target}_descriptor_set.cc)
  add_custom_command(
    OUTPUT ${set_file}
    COMMAND protobuf::protoc -I${PROJECT_SOURCE_DIR} --include_imports
            --descriptor_set_out=${set_file} ${protos}
    DEPENDS ${all_protos} protobuf::protoc
    COMMENT "protoc descriptor set of the contexts' public protos"
    VERBATIM)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DIN=${set_file} -DOUT=${out} -DNAMESPACE=${namespace}
            -P ${EDA_PROTO_CMAKE_DIR}/EdaEmbedDescriptorSet.cmake
    DEPENDS ${set_file} ${EDA_PROTO_CMAKE_DIR}/EdaEmbedDescriptorSet.cmake
    VERBATIM)
  target_sources(${target} PRIVATE ${out})
endfunction()
