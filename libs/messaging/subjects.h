// File: subjects.h
// NATS subject patterns: which subjects two patterns share (mallctl follows several streams with
// one pattern), and whether a pattern takes a subject (a stream's, a permission's).
#pragma once

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace eda::messaging {

// The pattern matching exactly the subjects that both `a` and `b` match (NATS wildcards: `*` one
// token, `>` one or more trailing tokens); nullopt when they share none.
std::optional<std::string> Intersect(absl::string_view a, absl::string_view b);

// Whether `pattern` matches the literal subject `subject`.
inline bool SubjectMatches(absl::string_view pattern, absl::string_view subject) {
  return Intersect(pattern, subject) == subject;
}

}  // namespace eda::messaging
