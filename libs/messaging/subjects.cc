#include "libs/messaging/subjects.h"

#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace eda::messaging {

std::optional<std::string> Intersect(absl::string_view a, absl::string_view b) {
  const std::vector<absl::string_view> at = absl::StrSplit(a, '.');
  const std::vector<absl::string_view> bt = absl::StrSplit(b, '.');
  std::vector<absl::string_view> out;
  for (size_t i = 0;; ++i) {
    if (i == at.size() || i == bt.size()) {
      if (at.size() != bt.size()) return std::nullopt;
      return absl::StrJoin(out, ".");
    }
    if (at[i] == ">" || bt[i] == ">") {
      const auto& rest = at[i] == ">" ? bt : at;
      out.insert(out.end(), rest.begin() + static_cast<std::ptrdiff_t>(i), rest.end());
      return absl::StrJoin(out, ".");
    }
    if (at[i] == "*") {
      out.push_back(bt[i]);
    } else if (bt[i] == "*" || at[i] == bt[i]) {
      out.push_back(at[i]);
    } else {
      return std::nullopt;
    }
  }
}

}  // namespace eda::messaging
