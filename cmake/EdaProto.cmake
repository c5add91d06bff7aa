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
