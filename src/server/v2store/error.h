#pragma once
// The v2 API's errors (etcd 3.4 etcdserver/api/v2error): a numeric code with its fixed message,
// a cause (usually the key concerned) and the store index when the error was made. The HTTP
// layer writes ToJson() with the status HttpStatus() and the header X-Etcd-Index: index.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace etcdpp::server::v2store {

// etcd's codes (v2error/error.go); the messages are in error.cc.
enum ErrorCode : int {
  kEcodeKeyNotFound = 100,
  kEcodeTestFailed = 101,
  kEcodeNotFile = 102,
  kEcodeNoMorePeer = 103,
  kEcodeNotDir = 104,
  kEcodeNodeExist = 105,
  kEcodeKeyIsPreserved = 106,
  kEcodeRootROnly = 107,
  kEcodeDirNotEmpty = 108,
  kEcodeExistingPeerAddr = 109,
  kEcodeUnauthorized = 110,

  kEcodeValueRequired = 200,
  kEcodePrevValueRequired = 201,
  kEcodeTTLNaN = 202,
  kEcodeIndexNaN = 203,
  kEcodeValueOrTTLRequired = 204,
  kEcodeTimeoutNaN = 205,
  kEcodeNameRequired = 206,
  kEcodeIndexOrValueRequired = 207,
  kEcodeIndexValueMutex = 208,
  kEcodeInvalidField = 209,
  kEcodeInvalidForm = 210,
  kEcodeRefreshValue = 211,
  kEcodeRefreshTTLRequired = 212,

  kEcodeRaftInternal = 300,
  kEcodeLeaderElect = 301,

  kEcodeWatcherCleared = 400,
  kEcodeEventIndexCleared = 401,
  kEcodeStandbyInternal = 402,
  kEcodeInvalidActiveSize = 403,
  kEcodeInvalidRemoveDelay = 404,

  kEcodeClientInternal = 500,
};

// etcd's message for `code` ("" for a code etcd does not know).
std::string_view ErrorMessage(int code);

struct Error {
  int code = 0;
  std::string cause;  // omitted from the JSON when empty
  uint64_t index = 0;

  std::string_view message() const { return ErrorMessage(code); }
  // v2error.Error.StatusCode: 404, 403, 401, 412, 500 for the codes that have one, else 400.
  int HttpStatus() const;
  // {"errorCode":..,"message":..,"cause":..,"index":..} as etcd writes it (no newline).
  std::string ToJson() const;
  // Go's Error(): "message (cause)".
  std::string ToString() const;
};

// A value or a v2 error (the store's results; no exceptions in project code).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  const T& value() const& { return std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const Error& error() const { return std::get<1>(v_); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace etcdpp::server::v2store
