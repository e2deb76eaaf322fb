// The v2 member and cluster-health commands (ctlv2/command/member_commands.go,
// cluster_health.go over client/members.go).

#include <unistd.h>

#include <iostream>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/go_text.h"
#include "common/json_text.h"
#include "v2/ctl_shared.h"

namespace etcdpp::etcdctl::v2 {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

int MemberList(Context& c) {
  if (!c.Args().empty()) PrintAndExit("No arguments accepted");
  std::unique_ptr<ClusterClient> cl = MustNewClient(c);
  absl::Time deadline = TotalDeadline(c);
  CallError err;
  absl::StatusOr<std::vector<Member>> ms = ListMembers(*cl, deadline, &err);
  if (!ms.ok()) PrintAndExit(err.msg);
  std::string detail;
  absl::StatusOr<HttpResponse> r =
      cl->Do(HttpRequest{"GET", "/v2/members/leader"}, deadline, &detail);
  std::string leader_id;
  if (!r.ok()) PrintAndExit(absl::StrCat("Failed to get leader:  ", r.status().message()));
  if (r->status != 200)
    PrintAndExit(absl::StrCat("Failed to get leader:  unexpected status code ", r->status));
  absl::StatusOr<Struct> leader = ParseJson(r->body);
  if (!leader.ok())
    PrintAndExit(absl::StrCat("Failed to get leader:  ", leader.status().message()));
  leader_id = StringField(*leader, "id");
  for (const Member& m : *ms) {
    if (m.name.empty()) {
      Print(absl::StrCat(m.id, "[unstarted]: peerURLs=", absl::StrJoin(m.peer_urls, ","), "\n"));
    } else {
      Print(absl::StrCat(m.id, ": name=", m.name, " peerURLs=", absl::StrJoin(m.peer_urls, ","),
                         " clientURLs=", absl::StrJoin(m.client_urls, ","),
                         " isLeader=", m.id == leader_id ? "true" : "false", "\n"));
    }
  }
  return 0;
}

// types.NewURLs's checks of one peer URL.
absl::Status CheckPeerUrl(const std::string& u) {
  size_t sep = u.find("://");
  std::string scheme = sep == std::string::npos ? "" : u.substr(0, sep);
  if (scheme != "http" && scheme != "https" && scheme != "unix" && scheme != "unixs") {
    return absl::InvalidArgumentError(
        absl::StrCat("URL scheme must be http, https, unix, or unixs: ", u));
  }
  std::string rest = u.substr(sep + 3);
  size_t slash = rest.find('/');
  std::string host = rest.substr(0, slash);
  size_t colon = host.rfind(':');
  if (colon == std::string::npos || colon + 1 == host.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("URL address does not have the form \"host:port\": ", u));
  }
  if (slash != std::string::npos && slash + 1 < rest.size()) {
    return absl::InvalidArgumentError(absl::StrCat("URL must not contain a path: ", u));
  }
  return absl::OkStatus();
}

std::string PeerUrlsBody(const std::vector<std::string>& urls) {
  std::vector<std::string> quoted;
  for (const std::string& u : urls) {
    std::string q;
    AppendGoJsonQuote(u, &q);
    quoted.push_back(q);
  }
  return absl::StrCat("{\"peerURLs\":[", absl::StrJoin(quoted, ","), "]}");
}

// A members call answered with a membersError body ({"message":...}) or an unexpected status.
std::string MembersError(const HttpResponse& r, std::initializer_list<long> error_codes) {
  for (long code : error_codes) {
    if (r.status == code) {
      absl::StatusOr<Struct> s = ParseJson(r.body);
      return s.ok() ? StringField(*s, "message") : std::string(s.status().message());
    }
  }
  return absl::StrCat("unexpected status code ", r.status);
}

int MemberAdd(Context& c) {
  if (c.Args().size() != 2) PrintAndExit("Provide a name and a single member peerURL");
  std::unique_ptr<ClusterClient> cl = MustNewClient(c);
  const std::string& name = c.Args()[0];
  const std::string& url = c.Args()[1];
  absl::Time deadline = TotalDeadline(c);
  if (absl::Status s = CheckPeerUrl(url); !s.ok()) PrintAndExit(std::string(s.message()));
  HttpRequest req{"POST", "/v2/members"};
  req.json = true;
  req.form = PeerUrlsBody({url});
  std::string detail;
  absl::StatusOr<HttpResponse> r = cl->Do(req, deadline, &detail);
  if (!r.ok()) PrintAndExit(std::string(r.status().message()));
  if (r->status != 201) PrintAndExit(MembersError(*r, {409}));
  absl::StatusOr<Struct> added = ParseJson(r->body);
  if (!added.ok()) PrintAndExit(std::string(added.status().message()));
  std::string new_id = StringField(*added, "id");
  Print(absl::StrCat("Added member named ", name, " with ID ", new_id, " to cluster\n"));
  CallError err;
  absl::StatusOr<std::vector<Member>> ms = ListMembers(*cl, deadline, &err);
  if (!ms.ok()) PrintAndExit(err.msg);
  std::vector<std::string> conf;
  for (const Member& m : *ms) {
    for (const std::string& u : m.peer_urls) {
      conf.push_back(absl::StrCat(m.id == new_id ? name : m.name, "=", u));
    }
  }
  Print(absl::StrCat("\nETCD_NAME=", GoQuote(name),
                     "\nETCD_INITIAL_CLUSTER=", GoQuote(absl::StrJoin(conf, ",")),
                     "\nETCD_INITIAL_CLUSTER_STATE=\"existing\"\n"));
  return 0;
}

int MemberRemove(Context& c) {
  if (c.Args().size() != 1) PrintAndExit("Provide a single member ID");
  const std::string& id = c.Args()[0];
  std::unique_ptr<ClusterClient> cl = MustNewClient(c);
  absl::Time deadline = TotalDeadline(c);
  CallError err;
  absl::StatusOr<std::vector<Member>> ms = ListMembers(*cl, deadline, &err);
  if (!ms.ok()) PrintAndExit("Error while verifying ID against known members: " + err.msg);
  bool found = false;
  for (const Member& m : *ms) {
    if (m.id == id) found = true;
    if (m.name == id) {
      std::cerr << "Found a member named " << m.name
                << "; if this is correct, please use its ID, eg:\n\tetcdctl member remove " << m.id
                << "\n"
                << "For more details, read the documentation at "
                   "https://github.com/etcd-io/etcd/blob/master/Documentation/"
                   "runtime-configuration.md#remove-a-member\n\n";
    }
  }
  if (!found) {
    std::cerr << "Couldn't find a member in the cluster with an ID of " << id << ".\n";
    Exit(1);
  }
  std::string detail;
  absl::StatusOr<HttpResponse> r =
      cl->Do(HttpRequest{"DELETE", "/v2/members/" + PathEscape(id)}, deadline, &detail);
  std::string failure;
  if (!r.ok()) {
    failure = std::string(r.status().message());
  } else if (r->status != 204 && r->status != 410) {
    failure = absl::StrCat("unexpected status code ", r->status);
  }
  if (!failure.empty()) {
    std::cerr << "Received an error trying to remove member " << id << ": " << failure;
    Exit(1);
  }
  Print(absl::StrCat("Removed member ", id, " from cluster\n"));
  return 0;
}

int MemberUpdate(Context& c) {
  if (c.Args().size() != 2) {
    PrintAndExit(
        "Provide an ID and a list of comma separated peerURL (0xabcd "
        "http://example.com,http://example1.com)");
  }
  std::unique_ptr<ClusterClient> cl = MustNewClient(c);
  const std::string& id = c.Args()[0];
  std::vector<std::string> urls = absl::StrSplit(c.Args()[1], ',');
  for (const std::string& u : urls) {
    if (absl::Status s = CheckPeerUrl(u); !s.ok()) PrintAndExit(std::string(s.message()));
  }
  HttpRequest req{"PUT", "/v2/members/" + PathEscape(id)};
  req.json = true;
  req.form = PeerUrlsBody(urls);
  std::string detail;
  absl::StatusOr<HttpResponse> r = cl->Do(req, TotalDeadline(c), &detail);
  if (!r.ok()) PrintAndExit(std::string(r.status().message()));
  if (r->status != 204) PrintAndExit(MembersError(*r, {404, 409}));
  Print(absl::StrCat("Updated member with ID ", id, " in cluster\n"));
  return 0;
}

// --- cluster-health ---------------------------------------------------------------------------

int ClusterHealth(Context& c) {
  bool forever = c.Bool("forever");
  if (forever) ExitOnInterrupt();
  if (std::optional<std::string> err = TlsFilesError(TlsOptions(c))) {
    HandleError(kExitServerError, *err);
  }
  std::unique_ptr<ClusterClient> cl = MustNewClientNoSync(c);
  CallError err;
  absl::StatusOr<std::vector<Member>> ms = ListMembers(*cl, absl::InfiniteFuture(), &err);
  if (!ms.ok()) {
    Print("cluster may be unhealthy: failed to list members\n");
    HandleError(kExitServerError, err.msg, err.detail);
  }
  for (;;) {
    size_t healthy = 0;
    for (const Member& m : *ms) {
      if (m.client_urls.empty()) {
        Print(
            absl::StrCat("member ", m.id, " is unreachable: no available published client urls\n"));
        continue;
      }
      bool checked = false;
      for (const std::string& url : m.client_urls) {
        HttpOptions opts = TlsOptions(c);
        opts.header_timeout = absl::ZeroDuration();
        ClusterClient hc({url}, opts);
        std::string detail;
        HttpRequest req{"GET", "/health"};
        req.any_status = true;
        absl::StatusOr<HttpResponse> r = hc.Do(req, absl::Now() + absl::Seconds(30), &detail);
        if (!r.ok()) {
          Print(absl::StrCat(
              "failed to check the health of member ", m.id, " on ", url, ": Get ",
              GoQuote(url + "/health"), ": ",
              hc.last_errors().empty() ? std::string(r.status().message()) : hc.last_errors()[0],
              "\n"));
          continue;
        }
        absl::StatusOr<Struct> s = ParseJson(r->body);
        if (!s.ok()) {
          Print(absl::StrCat(
              "failed to check the health of member ", m.id, " on ", url, ": ",
              r->body.empty() ? "unexpected end of JSON input" : std::string(s.status().message()),
              "\n"));
          continue;
        }
        checked = true;
        bool ok = false;
        for (const auto& [k, v] : s->fields()) {
          if (absl::EqualsIgnoreCase(k, "health")) {
            ok = (v.kind_case() == Value::kStringValue && v.string_value() == "true") ||
                 (v.kind_case() == Value::kBoolValue && v.bool_value());
          }
        }
        if (ok) {
          Print(absl::StrCat("member ", m.id, " is healthy: got healthy result from ", url, "\n"));
          ++healthy;
        } else {
          Print(absl::StrCat("member ", m.id, " is unhealthy: got unhealthy result from ", url,
                             "\n"));
        }
        break;
      }
      if (!checked) {
        Print(absl::StrCat("member ", m.id, " is unreachable: [", absl::StrJoin(m.client_urls, " "),
                           "] are all unreachable\n"));
      }
    }
    if (healthy == ms->size()) {
      Print("cluster is healthy\n");
    } else if (healthy == 0) {
      Print("cluster is unavailable\n");
    } else {
      Print("cluster is degraded\n");
    }
    if (!forever) return healthy == ms->size() ? 0 : kExitClusterNotHealthy;
    Print("\nnext check after 10 second...\n\n");
    absl::SleepFor(absl::Seconds(10));
  }
}

// speakeasy.Ask as the v2 commands use it: the prompt on stdout, the terminal's echo off while
// the line is read (when stdin is one), a newline on stdout after, the line trimmed.

}  // namespace

CliCommand ClusterHealthCommand() {
  return {"cluster-health",
          "check the health of the etcd cluster",
          " ",
          "",
          {{"forever, f", FlagKind::kBool, "",
            "forever check the health every 10 second until CTRL+C"}},
          ClusterHealth,
          {}};
}

CliCommand MemberCommand() {
  return {
      "member",
      "member add, remove and list subcommands",
      "",
      "",
      {},
      nullptr,
      {{"list", "enumerate existing cluster members", " ", "", {}, MemberList, {}},
       {"add", "add a new member to the etcd cluster", "<name> <peerURL>", "", {}, MemberAdd, {}},
       {"remove",
        "remove an existing member from the etcd cluster",
        "<memberID>",
        "",
        {},
        MemberRemove,
        {}},
       {"update",
        "update an existing member in the etcd cluster",
        "<memberID> <peerURLs>",
        "",
        {},
        MemberUpdate,
        {}}}};
}

}  // namespace etcdpp::etcdctl::v2
