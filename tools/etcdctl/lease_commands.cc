// lease grant / revoke / timetolive / list / keep-alive (ctlv3/command/lease_command.go).
//
// clientv3 returns its own structs for most lease calls; they embed *pb.ResponseHeader, so in
// `-w json` the header's fields sit at the top level, and `-w protobuf` marshals only the
// embedded header (the struct itself has no Marshal method).

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "commands.h"
#include "common/go_text.h"
#include "go_json.h"
#include "output.h"

namespace etcdpp::etcdctl {
namespace {

using etcdserverpb::Lease;
using etcdserverpb::ResponseHeader;

// {<header fields>,<rest>} as Go encodes a struct embedding *pb.ResponseHeader.
std::string EmbeddedJson(const ResponseHeader& h, absl::string_view rest) {
  std::string out = "{";
  bool first = true;
  AppendGoJsonFields(h, &out, &first);
  if (!rest.empty()) absl::StrAppend(&out, first ? "" : ",", rest);
  return out + "}";
}

// Prints a clientv3 lease struct: json as given, protobuf as the header alone.
bool PrintEmbedded(const Output& out, const ResponseHeader& h, absl::string_view rest) {
  if (out.format == Format::kJson) {
    std::cout << EmbeddedJson(h, rest) << "\n";
  } else if (out.format == Format::kProtobuf) {
    std::cout << h.SerializeAsString() << std::flush;
  } else {
    return false;
  }
  return true;
}

bool LeaseArg(const std::string& arg, int64_t* id, int* code) {
  auto v = GoParseInt(arg, 16);
  if (!v.ok()) {
    *code = Fail(kExitBadArgs, absl::StrCat("bad lease ID arg (", v.status().message(),
                                            "), expecting ID in Hex"));
    return false;
  }
  *id = *v;
  return true;
}

void FieldsIdTtl(const ResponseHeader& h, int64_t id, int64_t ttl) {
  FieldsHeader(h);
  std::cout << "\"ID\" : " << id << "\n\"TTL\" : " << ttl << "\n";
}

int RunGrant(Invocation& inv) {
  if (inv.args.size() != 1) return Fail(kExitBadArgs, "lease grant command needs TTL argument");
  auto ttl = GoParseInt(inv.args[0], 10);
  if (!ttl.ok()) return Fail(kExitBadArgs, absl::StrCat("bad TTL (", ttl.status().message(), ")"));
  etcdserverpb::LeaseGrantRequest req;
  req.set_ttl(*ttl);
  Output out;
  int code = 0;
  etcdserverpb::LeaseGrantResponse r;
  if (!CallOnce(inv, &out, &Client::lease, &Lease::Stub::LeaseGrant, req, &r, &code,
                {.what = "failed to grant lease"})) {
    return code;
  }
  if (out.format == Format::kSimple) {
    std::cout << absl::StrFormat("lease %016x granted with TTL(%ds)\n", r.id(), r.ttl());
  } else if (out.format == Format::kFields) {
    FieldsIdTtl(r.header(), r.id(), r.ttl());
  } else if (!PrintEmbedded(out, r.header(),
                            absl::StrCat("\"ID\":", r.id(), ",\"TTL\":", r.ttl(),
                                         ",\"Error\":", GoJsonString(r.error())))) {
    return Unsupported(out);
  }
  return kExitSuccess;
}

int RunRevoke(Invocation& inv) {
  if (inv.args.size() != 1) return Fail(kExitBadArgs, "lease revoke command needs 1 argument");
  int64_t id = 0;
  int code = 0;
  if (!LeaseArg(inv.args[0], &id, &code)) return code;
  etcdserverpb::LeaseRevokeRequest req;
  req.set_id(id);
  Output out;
  etcdserverpb::LeaseRevokeResponse r;
  if (!CallOnce(inv, &out, &Client::lease, &Lease::Stub::LeaseRevoke, req, &r, &code,
                {.what = "failed to revoke lease"})) {
    return code;
  }
  if (out.format == Format::kSimple) {
    std::cout << absl::StrFormat("lease %016x revoked\n", id);
  } else if (out.format == Format::kFields) {
    FieldsHeader(r.header());
  } else if (out.format == Format::kJson) {
    std::cout << GoJson(r) << "\n";
  } else {
    return Unsupported(out);
  }
  return kExitSuccess;
}

int RunTimeToLive(Invocation& inv) {
  if (inv.args.size() != 1) {
    return Fail(kExitBadArgs, "lease timetolive command needs lease ID as argument");
  }
  int64_t id = 0;
  int code = 0;
  if (!LeaseArg(inv.args[0], &id, &code)) return code;
  const bool keys = inv.flags->GetBool("keys");
  etcdserverpb::LeaseTimeToLiveRequest req;
  req.set_id(id);
  req.set_keys(keys);
  Output out;
  etcdserverpb::LeaseTimeToLiveResponse r;
  if (!CallOnce(inv, &out, &Client::lease, &Lease::Stub::LeaseTimeToLive, req, &r, &code,
                {.fail_code = kExitBadConnection, .timeout = false})) {
    return code;
  }
  if (out.format == Format::kSimple) {
    if (r.grantedttl() == 0 && r.ttl() == -1) {
      std::cout << absl::StrFormat("lease %016x already expired\n", r.id());
      return kExitSuccess;
    }
    std::string txt = absl::StrFormat("lease %016x granted with TTL(%ds), remaining(%ds)", r.id(),
                                      r.grantedttl(), r.ttl());
    if (keys) absl::StrAppend(&txt, ", attached keys([", absl::StrJoin(r.keys(), " "), "])");
    std::cout << txt << "\n";
  } else if (out.format == Format::kFields) {
    FieldsIdTtl(r.header(), r.id(), r.ttl());
    std::cout << "\"GrantedTTL\" : " << r.grantedttl() << "\n";
    for (const auto& k : r.keys()) std::cout << "\"Key\" : " << GoQuote(k) << "\n";
  } else {
    std::string ks = "null";
    if (r.keys_size() > 0) {
      ks = "[";
      for (int i = 0; i < r.keys_size(); ++i)
        absl::StrAppend(&ks, i ? "," : "", "\"", Base64(r.keys(i)), "\"");
      ks += "]";
    }
    if (!PrintEmbedded(out, r.header(),
                       absl::StrCat("\"id\":", r.id(), ",\"ttl\":", r.ttl(),
                                    ",\"granted-ttl\":", r.grantedttl(), ",\"keys\":", ks))) {
      return Unsupported(out);
    }
  }
  return kExitSuccess;
}

int RunList(Invocation& inv) {
  Output out;
  int code = 0;
  etcdserverpb::LeaseLeasesResponse r;
  if (!CallOnce(inv, &out, &Client::lease, &Lease::Stub::LeaseLeases,
                etcdserverpb::LeaseLeasesRequest(), &r, &code,
                {.fail_code = kExitBadConnection, .timeout = false})) {
    return code;
  }
  if (out.format == Format::kSimple) {
    std::cout << "found " << r.leases_size() << " leases\n";
    for (const auto& l : r.leases()) std::cout << absl::StrFormat("%016x\n", l.id());
  } else if (out.format == Format::kFields) {
    FieldsHeader(r.header());
    for (const auto& l : r.leases()) std::cout << "\"ID\" : " << l.id() << "\n";
  } else {
    std::string ls = "[";
    for (int i = 0; i < r.leases_size(); ++i) {
      absl::StrAppend(&ls, i ? "," : "", "{\"id\":", r.leases(i).id(), "}");
    }
    if (!PrintEmbedded(out, r.header(), absl::StrCat("\"leases\":", ls, "]")))
      return Unsupported(out);
  }
  return kExitSuccess;
}

int PrintKeepAlive(const Output& out, const etcdserverpb::LeaseKeepAliveResponse& r) {
  if (out.format == Format::kSimple) {
    std::cout << absl::StrFormat("lease %016x keepalived with TTL(%d)\n", r.id(), r.ttl());
  } else if (out.format == Format::kFields) {
    FieldsIdTtl(r.header(), r.id(), r.ttl());
  } else if (!PrintEmbedded(out, r.header(),
                            absl::StrCat("\"ID\":", r.id(), ",\"TTL\":", r.ttl()))) {
    return Unsupported(out);
  }
  std::cout << std::flush;
  return kExitSuccess;
}

// Keeps the lease alive until it expires or is revoked (or, with --once, renews it once).
int RunKeepAlive(Invocation& inv) {
  if (inv.args.size() != 1) {
    return Fail(kExitBadArgs, "lease keep-alive command needs lease ID as argument");
  }
  int64_t id = 0;
  int code = 0;
  if (!LeaseArg(inv.args[0], &id, &code)) return code;
  Output out;
  auto c = MustClient(inv, &out, &code);
  if (c == nullptr) return code;
  const bool once = inv.flags->GetBool("once");
  auto ctx = c->NewContext(absl::ZeroDuration());
  auto stream = c->lease().LeaseKeepAlive(ctx.get());
  etcdserverpb::LeaseKeepAliveRequest req;
  req.set_id(id);
  etcdserverpb::LeaseKeepAliveResponse r;
  while (stream->Write(req) && stream->Read(&r)) {
    if (r.ttl() <= 0) {
      if (once) return Fail(kExitBadConnection, "etcdserver: requested lease not found");
      break;
    }
    int rc = PrintKeepAlive(out, r);
    if (rc != kExitSuccess || once) return rc;
    absl::SleepFor(absl::Seconds(std::max<int64_t>(1, r.ttl() / 3)));
  }
  if (out.format == Format::kSimple) {
    std::cout << absl::StrFormat("lease %016x expired or revoked.\n", id);
  }
  return kExitSuccess;
}

}  // namespace

void AddLeaseCommands(Command& root) {
  auto lease = NewCommand("lease <subcommand>", "Lease related commands", nullptr);
  lease->Add(NewCommand("grant <ttl>", "Creates leases", RunGrant));
  lease->Add(NewCommand("revoke <leaseID>", "Revokes leases", RunRevoke));
  auto ttl = NewCommand("timetolive <leaseID> [options]", "Get lease information", RunTimeToLive);
  ttl->flags.AddBool("keys", false, "Get keys attached to this lease");
  lease->Add(std::move(ttl));
  lease->Add(NewCommand("list", "List all active leases", RunList));
  auto ka =
      NewCommand("keep-alive [options] <leaseID>", "Keeps leases alive (renew)", RunKeepAlive);
  ka->flags.AddBool("once", false,
                    "Resets the keep-alive time to its original value and exits immediately");
  lease->Add(std::move(ka));
  root.Add(std::move(lease));
}

}  // namespace etcdpp::etcdctl
