#include "server/v2store/error.h"

#include "absl/strings/str_cat.h"
#include "common/json_text.h"

namespace etcdpp::server::v2store {

std::string_view ErrorMessage(int code) {
  switch (code) {
    case kEcodeKeyNotFound:
      return "Key not found";
    case kEcodeTestFailed:
      return "Compare failed";
    case kEcodeNotFile:
      return "Not a file";
    case kEcodeNoMorePeer:
      return "Reached the max number of peers in the cluster";
    case kEcodeNotDir:
      return "Not a directory";
    case kEcodeNodeExist:
      return "Key already exists";
    case kEcodeKeyIsPreserved:
      return "The prefix of given key is a keyword in etcd";
    case kEcodeRootROnly:
      return "Root is read only";
    case kEcodeDirNotEmpty:
      return "Directory not empty";
    case kEcodeExistingPeerAddr:
      return "Peer address has existed";
    case kEcodeUnauthorized:
      return "The request requires user authentication";
    case kEcodeValueRequired:
      return "Value is Required in POST form";
    case kEcodePrevValueRequired:
      return "PrevValue is Required in POST form";
    case kEcodeTTLNaN:
      return "The given TTL in POST form is not a number";
    case kEcodeIndexNaN:
      return "The given index in POST form is not a number";
    case kEcodeValueOrTTLRequired:
      return "Value or TTL is required in POST form";
    case kEcodeTimeoutNaN:
      return "The given timeout in POST form is not a number";
    case kEcodeNameRequired:
      return "Name is required in POST form";
    case kEcodeIndexOrValueRequired:
      return "Index or value is required";
    case kEcodeIndexValueMutex:
      return "Index and value cannot both be specified";
    case kEcodeInvalidField:
      return "Invalid field";
    case kEcodeInvalidForm:
      return "Invalid POST form";
    case kEcodeRefreshValue:
      return "Value provided on refresh";
    case kEcodeRefreshTTLRequired:
      return "A TTL must be provided on refresh";
    case kEcodeRaftInternal:
      return "Raft Internal Error";
    case kEcodeLeaderElect:
      return "During Leader Election";
    case kEcodeWatcherCleared:
      return "watcher is cleared due to etcd recovery";
    case kEcodeEventIndexCleared:
      return "The event in requested index is outdated and cleared";
    case kEcodeStandbyInternal:
      return "Standby Internal Error";
    case kEcodeInvalidActiveSize:
      return "Invalid active size";
    case kEcodeInvalidRemoveDelay:
      return "Standby remove delay";
    case kEcodeClientInternal:
      return "Client Internal Error";
    default:
      return "";
  }
}

int Error::HttpStatus() const {
  switch (code) {
    case kEcodeKeyNotFound:
      return 404;
    case kEcodeNotFile:
    case kEcodeDirNotEmpty:
      return 403;
    case kEcodeUnauthorized:
      return 401;
    case kEcodeTestFailed:
    case kEcodeNodeExist:
      return 412;
    case kEcodeRaftInternal:
    case kEcodeLeaderElect:
      return 500;
    default:
      return 400;
  }
}

std::string Error::ToJson() const {
  std::string out = absl::StrCat("{\"errorCode\":", code, ",\"message\":");
  AppendGoJsonQuote(message(), &out);
  if (!cause.empty()) {
    out += ",\"cause\":";
    AppendGoJsonQuote(cause, &out);
  }
  absl::StrAppend(&out, ",\"index\":", index, "}");
  return out;
}

std::string Error::ToString() const { return std::string(message()) + " (" + cause + ")"; }

}  // namespace etcdpp::server::v2store
