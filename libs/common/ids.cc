#include "libs/common/ids.h"

#include <array>
#include <cstdint>
#include <random>

namespace eda {
namespace {

std::mt19937_64& Generator() {
  thread_local std::mt19937_64 gen = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }();
  return gen;
}

constexpr char kHex[] = "0123456789abcdef";

void AppendHex(std::string& out, uint8_t b) {
  out.push_back(kHex[b >> 4]);
  out.push_back(kHex[b & 0xf]);
}

}  // namespace

std::string NewUuid() {
  std::array<uint8_t, 16> b;
  uint64_t hi = Generator()();
  uint64_t lo = Generator()();
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<uint8_t>(hi >> (8 * i));
    b[8 + i] = static_cast<uint8_t>(lo >> (8 * i));
  }
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    AppendHex(out, b[i]);
  }
  return out;
}

bool IsUuid(absl::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

std::string RandomHex(int bytes) {
  std::string out;
  out.reserve(2 * bytes);
  uint64_t word = 0;
  for (int i = 0; i < bytes; ++i) {
    if (i % 8 == 0) word = Generator()();
    AppendHex(out, static_cast<uint8_t>(word >> (8 * (i % 8))));
  }
  return out;
}

}  // namespace eda
