// File: c_handle.h
// A stateless deleter so that std::unique_ptr owns a C library handle at the size of a pointer:
//   using PgConnPtr = std::unique_ptr<PGconn, eda::CFree<&PQfinish>>;
#pragma once

namespace eda {

template <auto kFree>
struct CFree {
  template <typename T>
  void operator()(T* p) const {
    if (p != nullptr) kFree(p);
  }
};

}  // namespace eda
