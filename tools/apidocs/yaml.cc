#include "tools/apidocs/yaml.h"

#include <cstdio>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

namespace apidocs {
namespace {

// A plain scalar that reads back as the same string: starts with a letter, holds no character
// YAML gives a meaning inside a plain scalar, and is no boolean or null word.
bool Plain(const std::string& text) {
  static const std::set<std::string> kWords = {"true", "false", "yes", "no", "on",
                                               "off",  "null",  "y",   "n"};
  if (text.empty() || !absl::ascii_isalpha(static_cast<unsigned char>(text[0]))) return false;
  if (kWords.count(absl::AsciiStrToLower(text)) > 0) return false;
  if (text.back() == ' ' || text.find(": ") != std::string::npos ||
      text.find(" #") != std::string::npos) {
    return false;
  }
  for (char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (!absl::ascii_isalnum(c) && std::string(" _-./()+,;'=<>").find(ch) == std::string::npos) {
      return false;
    }
  }
  return true;
}

// Text a literal block ("|-") gives back unchanged: lines of printable characters, the first not
// indented (the block's indentation is read from it), none with trailing spaces, no line break
// at either end.
bool LiteralBlock(const std::string& text) {
  if (text.empty() || text.front() == '\n' || text.back() == '\n' || text.front() == ' ') {
    return false;
  }
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!line.empty() && (line.back() == ' ' || line.back() == '\t')) return false;
    for (char ch : line) {
      const unsigned char c = static_cast<unsigned char>(ch);
      if (c < 0x20 || c == 0x7f) return false;
    }
  }
  return true;
}

std::string Quoted(const std::string& text) {
  std::string out = "\"";
  for (char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (ch == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

}  // namespace

Yaml Yaml::Raw(std::string text) {
  Yaml y(Type::kRawScalar);
  y.text_ = std::move(text);
  return y;
}

Yaml::Yaml(std::string text) : type_(Type::kScalar), text_(std::move(text)) {}

Yaml& Yaml::Set(const std::string& key, Yaml value) {
  for (auto& [k, v] : entries_) {
    if (k == key) return v = std::move(value);
  }
  return entries_.emplace_back(key, std::move(value)).second;
}

Yaml& Yaml::Add(Yaml value) { return items_.emplace_back(std::move(value)); }

std::string Yaml::Scalar(const std::string& text, int indent) {
  if (text.find('\n') == std::string::npos) return Plain(text) ? text : Quoted(text);
  if (!LiteralBlock(text)) return Quoted(text);
  // A literal block keeps the lines as they are ("|-": without a final line break).
  std::string out = "|-";
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    out += "\n";
    if (!line.empty()) out += std::string(indent, ' ') + std::string(line);
  }
  return out;
}

void Yaml::Write(std::string& out, int indent) const {
  const std::string pad(indent, ' ');
  if (type_ == Type::kMap) {
    for (const auto& [key, value] : entries_) {
      out += pad + (Plain(key) || key == "$ref" ? key : Quoted(key)) + ":";
      if (value.type_ == Type::kScalar) {
        out += " " + Scalar(value.text_, indent + 2) + "\n";
      } else if (value.type_ == Type::kRawScalar) {
        out += " " + value.text_ + "\n";
      } else if (value.empty()) {
        out += value.type_ == Type::kMap ? " {}\n" : " []\n";
      } else {
        out += "\n";
        value.Write(out, indent + 2);
      }
    }
  } else if (type_ == Type::kList) {
    for (const Yaml& item : items_) {
      if (item.type_ == Type::kScalar) {
        out += pad + "- " + Scalar(item.text_, indent + 2) + "\n";
      } else if (item.type_ == Type::kRawScalar) {
        out += pad + "- " + item.text_ + "\n";
      } else if (item.empty()) {
        out += pad + (item.type_ == Type::kMap ? "- {}\n" : "- []\n");
      } else {
        // The item's first line goes after the dash, the others under it.
        std::string block;
        item.Write(block, indent + 2);
        out += pad + "- " + block.substr(indent + 2);
      }
    }
  } else {
    out += pad + Scalar(text_, indent) + "\n";
  }
}

std::string Yaml::Dump() const {
  std::string out;
  Write(out, 0);
  return out;
}

}  // namespace apidocs
