// member add / remove / update / list / promote, endpoint health / status / hashkv and
// move-leader (ctlv3/command/{member,ep,move_leader}_command.go).

#include <functional>
#include <iostream>
#include <mutex>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "commands.h"
#include "common/go_text.h"
#include "go_json.h"
#include "output.h"

namespace etcdpp::etcdctl {
namespace {

using etcdserverpb::Cluster;
using etcdserverpb::Member;

bool MemberArg(const Invocation& inv, uint64_t* id, int* code) {
  if (inv.args.size() != 1) {
    *code = Fail(kExitBadArgs, "member ID is not provided");
    return false;
  }
  auto v = GoParseUint(inv.args[0], 16);
  if (!v.ok()) {
    *code = Fail(kExitBadArgs, absl::StrCat("bad member ID arg (", v.status().message(),
                                            "), expecting ID in Hex"));
    return false;
  }
  *id = *v;
  return true;
}

std::vector<std::vector<std::string>> MemberRows(const etcdserverpb::MemberListResponse& r) {
  std::vector<std::vector<std::string>> rows;
  for (const Member& m : r.members()) {
    rows.push_back({Hex(m.id()), m.name().empty() ? "unstarted" : "started", m.name(),
                    absl::StrJoin(m.peerurls(), ","), absl::StrJoin(m.clienturls(), ","),
                    m.islearner() ? "true" : "false"});
  }
  return rows;
}

// "Member %16x <verb> cluster %16x" (fmt's %16x pads with spaces).
void PrintMemberChange(uint64_t id, absl::string_view verb, uint64_t cluster) {
  std::cout << absl::StrFormat("Member %16x %s cluster %16x\n", id, verb, cluster);
}

int RunMemberAdd(Invocation& inv) {
  if (inv.args.empty()) return Fail(kExitBadArgs, "member name not provided");
  if (inv.args.size() > 1) {
    std::string ev = "too many arguments";
    for (const auto& s : inv.args) {
      if (absl::StartsWith(absl::AsciiStrToLower(s), "http")) {
        absl::StrAppend(&ev, ", did you mean --peer-urls=", s);
      }
    }
    return Fail(kExitBadArgs, ev);
  }
  std::string peer_urls = inv.flags->GetString("peer-urls");
  if (peer_urls.empty()) return Fail(kExitBadArgs, "member peer urls not provided");
  Output out;
  int code = 0;
  auto c = MustClient(inv, &out, &code);
  if (c == nullptr) return code;
  etcdserverpb::MemberAddRequest req;
  for (absl::string_view u : absl::StrSplit(peer_urls, ',')) req.add_peerurls(std::string(u));
  req.set_islearner(inv.flags->GetBool("learner"));
  etcdserverpb::MemberAddResponse r;
  grpc::Status st =
      c->Unary([&](grpc::ClientContext* ctx) { return c->cluster().MemberAdd(ctx, req, &r); });
  if (!st.ok()) return Fail(kExitError, ErrorText(st));
  if (out.format != Format::kSimple) return PrintRpc(out, r) ? kExitSuccess : Unsupported(out);
  PrintMemberChange(r.member().id(), "added to", r.header().cluster_id());
  std::vector<std::string> conf;
  for (const Member& m : r.members()) {
    for (const auto& u : m.peerurls()) {
      conf.push_back(absl::StrCat(m.id() == r.member().id() ? inv.args[0] : m.name(), "=", u));
    }
  }
  std::cout << "\nETCD_NAME=" << GoQuote(inv.args[0]) << "\n"
            << "ETCD_INITIAL_CLUSTER=" << GoQuote(absl::StrJoin(conf, ",")) << "\n"
            << "ETCD_INITIAL_ADVERTISE_PEER_URLS=" << GoQuote(peer_urls) << "\n"
            << "ETCD_INITIAL_CLUSTER_STATE=\"existing\"\n";
  return kExitSuccess;
}

// remove / update / promote: one member ID argument (hex), one call, "Member <id> <verb> cluster".
template <typename Req, typename Resp>
int RunMemberChange(Invocation& inv,
                    grpc::Status (Cluster::Stub::*rpc)(grpc::ClientContext*, const Req&, Resp*),
                    absl::string_view verb, Req req) {
  uint64_t id = 0;
  int code = 0;
  if (!MemberArg(inv, &id, &code)) return code;
  req.set_id(id);
  Output out;
  Resp r;
  if (!CallOnce(inv, &out, &Client::cluster, rpc, req, &r, &code)) return code;
  if (out.format != Format::kSimple) return PrintRpc(out, r) ? kExitSuccess : Unsupported(out);
  PrintMemberChange(id, verb, r.header().cluster_id());
  return kExitSuccess;
}

int RunMemberRemove(Invocation& inv) {
  return RunMemberChange(inv, &Cluster::Stub::MemberRemove, "removed from",
                         etcdserverpb::MemberRemoveRequest());
}

int RunMemberUpdate(Invocation& inv) {
  std::string peer_urls = inv.flags->GetString("peer-urls");
  etcdserverpb::MemberUpdateRequest req;
  for (absl::string_view u : absl::StrSplit(peer_urls, ',')) req.add_peerurls(std::string(u));
  if (inv.args.size() == 1 && GoParseUint(inv.args[0], 16).ok() && peer_urls.empty()) {
    return Fail(kExitBadArgs, "member peer urls not provided");
  }
  return RunMemberChange(inv, &Cluster::Stub::MemberUpdate, "updated in", req);
}

int RunMemberPromote(Invocation& inv) {
  return RunMemberChange(inv, &Cluster::Stub::MemberPromote, "promoted in",
                         etcdserverpb::MemberPromoteRequest());
}

int PrintMemberList(const Output& out, etcdserverpb::MemberListResponse& r) {
  if (out.format == Format::kSimple) {
    for (const auto& row : MemberRows(r)) std::cout << absl::StrJoin(row, ", ") << "\n";
  } else if (out.format == Format::kTable) {
    std::cout << RenderTable({"ID", "Status", "Name", "Peer Addrs", "Client Addrs", "Is Learner"},
                             MemberRows(r));
  } else if (out.format == Format::kFields) {
    FieldsHeader(r.header());
    for (const Member& m : r.members()) {
      std::cout << "\"ID\" : " << m.id() << "\n\"Name\" : " << GoQuote(m.name()) << "\n";
      for (const auto& u : m.peerurls()) std::cout << "\"PeerURL\" : " << GoQuote(u) << "\n";
      for (const auto& u : m.clienturls()) std::cout << "\"ClientURL\" : " << GoQuote(u) << "\n";
      std::cout << "\"IsLearner\" : " << (m.islearner() ? "true" : "false") << "\n\n";
    }
  } else {
    PrintRpc(out, r);
  }
  return kExitSuccess;
}

int RunMemberList(Invocation& inv) {
  Output out;
  int code = 0;
  etcdserverpb::MemberListResponse r;
  if (!CallOnce(inv, &out, &Client::cluster, &Cluster::Stub::MemberList,
                etcdserverpb::MemberListRequest(), &r, &code)) {
    return code;
  }
  return PrintMemberList(out, r);
}

// The endpoints to visit: --endpoints, or with --cluster every member's client URLs.
bool Endpoints(Invocation& inv, const ClientConfig& cfg, std::vector<std::string>* eps, int* code) {
  if (!inv.flags->GetBool("cluster")) {
    *eps = inv.flags->GetStringSlice("endpoints");
    return true;
  }
  CtlError err;
  ClientConfig no_auth = cfg;
  no_auth.user.clear();
  auto c = Client::Connect(no_auth, &err);
  if (c == nullptr) {
    *code = Fail(kExitError, err.message);
    return false;
  }
  etcdserverpb::MemberListRequest req;
  etcdserverpb::MemberListResponse r;
  auto ctx = c->NewContext();
  grpc::Status st = c->Logged(c->cluster().MemberList(ctx.get(), req, &r));
  if (!st.ok()) {
    *code = Fail(
        kExitError,
        absl::StrCat("failed to fetch endpoints from etcd cluster member list: ", ErrorText(st)));
    return false;
  }
  for (const Member& m : r.members())
    eps->insert(eps->end(), m.clienturls().begin(), m.clienturls().end());
  return true;
}

struct Health {
  std::string ep;
  bool health = false;
  std::string took;
  std::string error;
};

Health CheckHealth(const ClientConfig& cfg, const std::string& ep) {
  Health h{ep};
  CtlError err;
  absl::Time start = absl::Now();
  auto c = Client::ConnectOne(cfg, ep, &err);
  grpc::Status st(grpc::StatusCode::DEADLINE_EXCEEDED, "");
  if (c != nullptr) {
    etcdserverpb::RangeRequest req;
    req.set_key("health");
    etcdserverpb::RangeResponse r;
    auto ctx = c->NewContext();
    st = c->Logged(c->kv().Range(ctx.get(), req, &r));
  } else if (err.message != "context deadline exceeded") {
    h.error = err.message;
    return h;
  }
  h.took = GoDurationString(absl::Now() - start);
  if (st.ok() || st.error_message() == "etcdserver: permission denied") {
    h.health = true;
  } else {
    h.error = ErrorText(st);
  }
  return h;
}

int RunHealth(Invocation& inv) {
  Output out;
  CtlError err;
  auto cfg = ConfigFromFlags(inv, &out, &err, /*discover=*/false);
  if (!cfg.ok()) return Fail(err.code, err.message);
  std::vector<std::string> eps;
  int code = 0;
  if (!Endpoints(inv, *cfg, &eps, &code)) return code;
  std::vector<Health> list(eps.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < eps.size(); ++i) {
    threads.emplace_back([&, i] { list[i] = CheckHealth(*cfg, eps[i]); });
  }
  for (auto& t : threads) t.join();
  bool errs = false;
  std::vector<std::vector<std::string>> rows;
  std::string json = "[";
  for (const Health& h : list) {
    errs |= !h.error.empty();
    rows.push_back({h.ep, h.health ? "true" : "false", h.took, h.error});
    absl::StrAppend(&json, json.size() > 1 ? "," : "", "{\"endpoint\":", GoJsonString(h.ep),
                    ",\"health\":", h.health ? "true" : "false", ",\"took\":", GoJsonString(h.took),
                    h.error.empty() ? "" : absl::StrCat(",\"error\":", GoJsonString(h.error)), "}");
  }
  switch (out.format) {
    case Format::kSimple:
      for (const Health& h : list) {
        if (h.error.empty()) {
          std::cerr << h.ep << " is healthy: successfully committed proposal: took = " << h.took
                    << "\n";
        } else {
          std::cerr << h.ep << " is unhealthy: failed to commit proposal: " << h.error << "\n";
        }
      }
      break;
    case Format::kJson:
      std::cout << json << "]\n";
      break;
    case Format::kTable:
      std::cout << RenderTable({"endpoint", "health", "took", "error"}, rows);
      break;
    case Format::kFields:
      for (const Health& h : list) {
        std::cout << "\"Endpoint\" : " << GoQuote(h.ep)
                  << "\n\"Health\" : " << (h.health ? "true" : "false") << "\n\"Took\" : " << h.took
                  << "\n\"Error\" : " << h.error << "\n\n";
      }
      break;
    default:
      return Unsupported(out);
  }
  std::cout << std::flush;
  return errs ? Fail(kExitError, "unhealthy cluster") : kExitSuccess;
}

std::vector<std::string> StatusRow(const std::string& ep, const etcdserverpb::StatusResponse& s) {
  return {ep,
          Hex(s.header().member_id()),
          s.version(),
          HumanizeBytes(s.dbsize()),
          s.leader() == s.header().member_id() ? "true" : "false",
          s.islearner() ? "true" : "false",
          absl::StrCat(s.raftterm()),
          absl::StrCat(s.raftindex()),
          absl::StrCat(s.raftappliedindex()),
          absl::StrJoin(s.errors(), ", ")};
}

// Runs fn(client of ep) for each endpoint; failures go to stderr as "<what> <ep> (<err>)".
template <typename Resp, typename F>
bool ForEachEndpoint(const ClientConfig& cfg, const std::vector<std::string>& eps,
                     absl::string_view what, F fn,
                     std::vector<std::pair<std::string, Resp>>* results, std::string* last_err) {
  bool ok = true;
  for (const std::string& ep : eps) {
    CtlError err;
    auto c = Client::ConnectOne(cfg, ep, &err);
    Resp r;
    grpc::Status st = c ? fn(*c, &r) : grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "");
    if (!st.ok()) {
      *last_err = c ? ErrorText(st) : err.message;
      std::cerr << what << " " << ep << " (" << *last_err << ")\n";
      ok = false;
      continue;
    }
    ClearNewerFields(&r);
    results->emplace_back(ep, std::move(r));
  }
  return ok;
}

// The printers of per-endpoint results (status, hashkv): simple rows, a table, a json array of
// {"Endpoint": ep, "<json_key>": response}, and per endpoint the header then `fields`.
template <typename Resp>
int PrintPerEndpoint(
    const Output& out, const std::vector<std::pair<std::string, Resp>>& list,
    absl::string_view json_key, const std::vector<std::string>& header,
    const std::function<std::vector<std::string>(const std::string&, const Resp&)>& row,
    const std::function<void(const std::string&, const Resp&)>& fields) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& [ep, r] : list) rows.push_back(row(ep, r));
  if (out.format == Format::kSimple) {
    for (const auto& cells : rows) std::cout << absl::StrJoin(cells, ", ") << "\n";
  } else if (out.format == Format::kTable) {
    std::cout << RenderTable(header, rows);
  } else if (out.format == Format::kJson) {
    std::string json = "[";
    for (const auto& [ep, r] : list) {
      absl::StrAppend(&json, json.size() > 1 ? "," : "", "{\"Endpoint\":", GoJsonString(ep), ",",
                      GoJsonString(json_key), ":", GoJson(r), "}");
    }
    std::cout << json << "]\n";
  } else if (out.format == Format::kFields) {
    for (const auto& [ep, r] : list) {
      FieldsHeader(r.header());
      fields(ep, r);
    }
  } else {
    return Unsupported(out);
  }
  std::cout << std::flush;
  return kExitSuccess;
}

// The start of endpoint status and hashkv: connects for inv, finds the endpoints (--cluster:
// the member list's) and calls fn on each (ForEachEndpoint). False with *code set when
// connecting or listing fails; *all_ok is whether every endpoint answered.
template <typename Resp, typename F>
bool CollectPerEndpoint(Invocation& inv, Output* out, absl::string_view what, F fn,
                        std::vector<std::pair<std::string, Resp>>* list, std::string* last_err,
                        bool* all_ok, int* code) {
  auto c = MustClient(inv, out, code);
  if (c == nullptr) return false;
  std::vector<std::string> eps;
  if (!Endpoints(inv, c->config(), &eps, code)) return false;
  *all_ok = ForEachEndpoint<Resp>(c->config(), eps, what, fn, list, last_err);
  return true;
}

int RunStatus(Invocation& inv) {
  Output out;
  int code = 0;
  std::vector<std::pair<std::string, etcdserverpb::StatusResponse>> list;
  std::string last_err;
  bool ok = true;
  if (!CollectPerEndpoint<etcdserverpb::StatusResponse>(
          inv, &out, "Failed to get the status of endpoint",
          [](Client& cl, etcdserverpb::StatusResponse* r) {
            auto ctx = cl.NewContext();
            return cl.Logged(cl.maintenance().Status(ctx.get(), etcdserverpb::StatusRequest(), r));
          },
          &list, &last_err, &ok, &code)) {
    return code;
  }
  int rc = PrintPerEndpoint<etcdserverpb::StatusResponse>(
      out, list, "Status",
      {"endpoint", "ID", "version", "db size", "is leader", "is learner", "raft term", "raft index",
       "raft applied index", "errors"},
      StatusRow, [](const std::string& ep, const etcdserverpb::StatusResponse& s) {
        std::cout << "\"Version\" : " << GoQuote(s.version()) << "\n\"DBSize\" : " << s.dbsize()
                  << "\n\"Leader\" : " << s.leader()
                  << "\n\"IsLearner\" : " << (s.islearner() ? "true" : "false")
                  << "\n\"RaftIndex\" : " << s.raftindex() << "\n\"RaftTerm\" : " << s.raftterm()
                  << "\n\"RaftAppliedIndex\" : " << s.raftappliedindex() << "\n\"Errors\" : ["
                  << absl::StrJoin(s.errors(), " ") << "]\n\"Endpoint\" : " << GoQuote(ep)
                  << "\n\n";
      });
  if (rc != kExitSuccess) return rc;
  return ok ? kExitSuccess : kExitError;
}

int RunHashKV(Invocation& inv) {
  Output out;
  int code = 0;
  std::vector<std::pair<std::string, etcdserverpb::HashKVResponse>> list;
  std::string last_err;
  bool ok = true;
  const int64_t rev = inv.flags->GetInt64("rev");
  if (!CollectPerEndpoint<etcdserverpb::HashKVResponse>(
          inv, &out, "Failed to get the hash of endpoint",
          [rev](Client& cl, etcdserverpb::HashKVResponse* r) {
            etcdserverpb::HashKVRequest req;
            req.set_revision(rev);
            auto ctx = cl.NewContext();
            return cl.Logged(cl.maintenance().HashKV(ctx.get(), req, r));
          },
          &list, &last_err, &ok, &code)) {
    return code;
  }
  int rc = PrintPerEndpoint<etcdserverpb::HashKVResponse>(
      out, list, "HashKV", {"endpoint", "hash"},
      [](const std::string& ep, const etcdserverpb::HashKVResponse& h) {
        return std::vector<std::string>{ep, absl::StrCat(h.hash())};
      },
      [](const std::string& ep, const etcdserverpb::HashKVResponse& h) {
        std::cout << "\"Endpoint\" : " << GoQuote(ep) << "\n\"Hash\" : " << h.hash() << "\n\n";
      });
  if (rc != kExitSuccess) return rc;
  return ok ? kExitSuccess : Fail(kExitError, last_err);
}

int RunMoveLeader(Invocation& inv) {
  if (inv.args.size() != 1) return Fail(kExitBadArgs, "move-leader command needs 1 argument");
  auto target = GoParseUint(inv.args[0], 16);
  if (!target.ok()) return Fail(kExitBadArgs, target.status().message());
  Output out;
  int code = 0;
  auto c = MustClient(inv, &out, &code);
  if (c == nullptr) return code;
  std::unique_ptr<Client> leader;
  uint64_t leader_id = 0;
  for (const std::string& ep : c->config().endpoints) {
    CtlError err;
    auto cl = Client::ConnectOne(c->config(), ep, &err);
    if (cl == nullptr) return Fail(kExitError, err.message);
    etcdserverpb::StatusResponse s;
    auto ctx = cl->NewContext();
    grpc::Status st =
        cl->Logged(cl->maintenance().Status(ctx.get(), etcdserverpb::StatusRequest(), &s));
    if (!st.ok()) return Fail(kExitError, ErrorText(st));
    if (s.header().member_id() == s.leader()) {
      leader = std::move(cl);
      leader_id = s.leader();
      break;
    }
  }
  if (leader == nullptr) {
    return Fail(kExitBadArgs, absl::StrCat("no leader endpoint given at [",
                                           absl::StrJoin(c->config().endpoints, " "), "]"));
  }
  etcdserverpb::MoveLeaderRequest req;
  req.set_targetid(*target);
  etcdserverpb::MoveLeaderResponse r;
  auto ctx = leader->NewContext();
  grpc::Status st = leader->Logged(leader->maintenance().MoveLeader(ctx.get(), req, &r));
  if (!st.ok()) return Fail(kExitError, ErrorText(st));
  if (out.format == Format::kSimple) {
    std::cout << "Leadership transferred from " << Hex(leader_id) << " to " << Hex(*target) << "\n";
  } else if (out.format != Format::kJson || !PrintRpc(out, r)) {
    return Unsupported(out);
  }
  return kExitSuccess;
}

}  // namespace

void AddClusterCommands(Command& root) {
  auto member = NewCommand("member <subcommand>", "Membership related commands", nullptr);
  auto add =
      NewCommand("add <memberName> [options]", "Adds a member into the cluster", RunMemberAdd);
  add->flags.AddString("peer-urls", "", "comma separated peer URLs for the new member.");
  add->flags.AddBool("learner", false, "indicates if the new member is raft learner");
  member->Add(std::move(add));
  member->Add(
      NewCommand("remove <memberID>", "Removes a member from the cluster", RunMemberRemove));
  auto update =
      NewCommand("update <memberID> [options]", "Updates a member in the cluster", RunMemberUpdate);
  update->flags.AddString("peer-urls", "", "comma separated peer URLs for the updated member.");
  member->Add(std::move(update));
  auto list = NewCommand("list", "Lists all members in the cluster", RunMemberList);
  list->long_desc =
      "When --write-out is set to simple, this command prints out comma-separated member lists for "
      "each endpoint.\nThe items in the lists are ID, Status, Name, Peer Addrs, Client Addrs, Is "
      "Learner.\n";
  member->Add(std::move(list));
  auto promote = NewCommand("promote <memberID>", "Promotes a non-voting member in the cluster",
                            RunMemberPromote);
  promote->long_desc = "Promotes a non-voting learner member to a voting one in the cluster.\n";
  member->Add(std::move(promote));
  root.Add(std::move(member));

  auto ep = NewCommand("endpoint <subcommand>", "Endpoint related commands", nullptr);
  ep->flags.AddBool("cluster", false, "use all endpoints from the cluster member list");
  ep->Add(NewCommand(
      "health", "Checks the healthiness of endpoints specified in `--endpoints` flag", RunHealth));
  auto status = NewCommand(
      "status", "Prints out the status of endpoints specified in `--endpoints` flag", RunStatus);
  status->long_desc =
      "When --write-out is set to simple, this command prints out comma-separated status lists for "
      "each endpoint.\nThe items in the lists are endpoint, ID, version, db size, is leader, is "
      "learner, raft term, raft index, raft applied index, errors.\n";
  ep->Add(std::move(status));
  auto hashkv = NewCommand("hashkv", "Prints the KV history hash for each endpoint in --endpoints",
                           RunHashKV);
  hashkv->flags.Add("rev", "", FlagType::kInt64, "0",
                    "maximum revision to hash (default: all revisions)");
  ep->Add(std::move(hashkv));
  root.Add(std::move(ep));

  root.Add(NewCommand("move-leader <transferee-member-id>",
                      "Transfers leadership to another etcd cluster member.", RunMoveLeader));
}

}  // namespace etcdpp::etcdctl
