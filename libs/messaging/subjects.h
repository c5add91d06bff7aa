// File: subjects.h
// NATS subject patterns, as mallctl needs them to follow several streams with one pattern.
#pragma once

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace mallctl {

// The pattern matching exactly the subjects that both `a` and `b` match (NATS wildcards: `*` one
// token, `>` one or more trailing tokens); nullopt when they share none.
std::optional<std::string> Intersect(absl::string_view a, absl::string_view b);

}  // namespace mallctl
