// File: ids.h
// Random identifiers: UUIDv4 strings as the spec uses for every entity and message id.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace eda {

// Returns a new random (version 4, RFC 4122 variant) UUID in lower-case canonical form.
// Thread-safe; each thread draws from its own generator seeded from the OS.
std::string NewUuid();

// True if `s` is a UUID in canonical 8-4-4-4-12 hex form (any version, either case).
bool IsUuid(absl::string_view s);

// Random lower-case hex string of `bytes` random bytes (2 * bytes characters).
std::string RandomHex(int bytes);

}  // namespace eda
