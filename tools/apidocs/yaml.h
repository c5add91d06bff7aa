// File: yaml.h
// A YAML document as a tree of ordered maps, lists and scalars, written in block style: the
// shape of the AsyncAPI document apidocs writes. Strings that could read as something else
// (numbers, booleans, references starting with '#') are quoted; text with line breaks becomes a
// literal block.
//
//   apidocs::Yaml doc = apidocs::Yaml::Map();
//   doc.Set("asyncapi", "3.0.0");
//   doc.Set("channels", apidocs::Yaml::Map()).Set("orders", apidocs::Yaml::Map());
//   std::string text = doc.Dump();
#pragma once

#include <list>
#include <string>
#include <utility>

namespace apidocs {

class Yaml final {
 public:
  static Yaml Map() { return Yaml(Type::kMap); }
  static Yaml List() { return Yaml(Type::kList); }
  // A scalar written as it is (a number, true/false).
  static Yaml Raw(std::string text);
  Yaml(const char* text) : Yaml(std::string(text)) {}  // NOLINT: a string scalar
  Yaml(std::string text);                              // NOLINT: a string scalar

  // Sets `key` of a map (replacing an earlier value) and returns the value as stored.
  Yaml& Set(const std::string& key, Yaml value);
  // Appends to a list and returns the value as stored.
  Yaml& Add(Yaml value);
  bool empty() const { return entries_.empty() && items_.empty(); }

  std::string Dump() const;

 private:
  enum class Type { kScalar, kRawScalar, kMap, kList };
  explicit Yaml(Type type) : type_(type) {}
  void Write(std::string& out, int indent) const;
  static std::string Scalar(const std::string& text, int indent);

  Type type_;
  std::string text_;
  // Lists: a reference Set() or Add() returned stays valid while the document grows.
  std::list<std::pair<std::string, Yaml>> entries_;
  std::list<Yaml> items_;
};

}  // namespace apidocs
