// File: overloaded.h
// Overloaded{lambdas...}: one visitor out of several lambdas, for std::visit over a variant.
#pragma once

namespace eda {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace eda
