// Result<T>: a value, or the reason an operator reads when there is none.
//
//   Result<Name> name = Name::from_text("2.0.193.in-addr.arpa");
//   if (!name) { report(name.error()); return; }
//   use(*name);
//
// Bad input from outside is data, not an exception (STYLE.md "Errors"): parsers return Result.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace rdnsprov::dns {

struct Error {
  std::string reason;
};

template <typename T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Error error) : state_(std::move(error)) {}    // NOLINT(google-explicit-constructor)

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(state_); }
  const T& value() const& { assert(ok()); return std::get<0>(state_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const std::string& error() const { assert(!ok()); return std::get<1>(state_).reason; }

 private:
  std::variant<T, Error> state_;
};

inline Error error(std::string reason) { return Error{std::move(reason)}; }

}  // namespace rdnsprov::dns
