# cmake -DIN=<file> -DOUT=<file.cc> -DNAMESPACE=<ns> -P EdaEmbedDescriptorSet.cmake
#
# Writes OUT, a C++ source defining `std::string_view <ns>::DescriptorSet()` that returns the
# bytes of IN (eda_embed_descriptor_set in EdaProto.cmake).
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" digits)
math(EXPR size "${digits} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE ${OUT} "// Generated from ${IN} by eda_embed_descriptor_set.
#include <string_view>

namespace ${NAMESPACE} {

std::string_view DescriptorSet() {
  static constexpr unsigned char kBytes[${size}] = {${bytes}};
  return {reinterpret_cast<const char*>(kBytes), sizeof(kBytes)};
}

}  // namespace ${NAMESPACE}
")
