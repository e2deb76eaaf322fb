#pragma once
// What the v2 commands (key_commands.cc, member_commands.cc, auth_commands.cc) share: ctlv2's
// exits and error printing, the cluster client as ctlv2/command/util.go makes it, the member
// list, and the JSON bodies' reading.

#include <google/protobuf/struct.pb.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/v2client/http_client.h"
#include "v2/cli.h"

namespace etcdpp::etcdctl::v2 {

using v2client::CanonicalUrlPath;
using v2client::ClusterClient;
using v2client::HttpOptions;
using v2client::HttpRequest;
using v2client::HttpResponse;
using v2client::PathEscape;
using v2client::QueryEscape;

// ctlv2/command/error.go.
inline constexpr int kExitBadArgs = 1;
inline constexpr int kExitBadConnection = 2;
inline constexpr int kExitServerError = 4;
inline constexpr int kExitClusterNotHealthy = 5;

// os.Exit from deep inside a command: RunCtlV2 catches it after the output is flushed.
struct ExitNow {
  int code;
};
[[noreturn]] void Exit(int code);

// handleError: "Error:  <err>" (Println's two spaces), the ClusterError's detail after it.
[[noreturn]] void HandleError(int code, absl::string_view msg, absl::string_view detail = "");
// The message alone on stderr, exit 1 (the member/user/role commands' fmt.Fprintln + os.Exit).
[[noreturn]] void PrintAndExit(const std::string& msg);
[[noreturn]] void PrintStatusAndExit(const absl::Status& s);
// stdout, flushed (so that it comes before a later error on stderr).
void Print(const std::string& s);
// SIGINT ends the process with 0, as the Go watchers' signal handlers do.
void ExitOnInterrupt();
// The prompt on stdout, a line read from the terminal without echo.
std::string AskPassword(const std::string& prompt);

// The variable's value, "" when unset.
std::string Getenv(const char* name);
// The TLS files of --ca-file/--cert-file/--key-file (or ETCDCTL_*), and what
// transport.NewTransport checks of them before any request: the certificate and key come
// together and every file is readable ("open /x: no such file or directory").
HttpOptions TlsOptions(Context& c);
std::optional<std::string> TlsFilesError(const HttpOptions& o);

// Now plus --total-timeout.
absl::Time TotalDeadline(Context& c);

// mustNewClient: the client, synchronized with the cluster's member list unless --no-sync.
std::unique_ptr<ClusterClient> MustNewClient(Context& c);
// The client on the endpoints as given (member add/remove/update, cluster-health).
std::unique_ptr<ClusterClient> MustNewClientNoSync(Context& c);

// A JSON body as a protobuf Struct; the error is Go's decoder's kind of message.
absl::StatusOr<google::protobuf::Struct> ParseJson(const std::string& body);
// A string field ("" when absent), a list of strings (empty when absent or not a list).
std::string StringField(const google::protobuf::Struct& s, const char* name);
std::vector<std::string> StringList(const google::protobuf::Struct& s, const char* name);

struct Member {
  std::string id, name;
  std::vector<std::string> peer_urls, client_urls;
};

// The error of a request that found no endpoint, with its ClusterError detail.
struct CallError {
  std::string msg, detail;
  bool connection = false;
};

// MembersAPI.List.
absl::StatusOr<std::vector<Member>> ListMembers(ClusterClient& cl, absl::Time deadline,
                                                CallError* err);

// The command sets, in the order `etcdctl --help` lists them.
std::vector<CliCommand> KeyCommands();  // mk, mkdir, rm, rmdir, get, ls, set, ..., exec-watch
CliCommand ClusterHealthCommand();
CliCommand MemberCommand();
std::vector<CliCommand> AuthCommands();  // user, role, auth

}  // namespace etcdpp::etcdctl::v2
