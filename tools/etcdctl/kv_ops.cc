#include "kv_ops.h"

#include <iostream>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/go_text.h"

namespace etcdpp::etcdctl {
namespace {

using etcdserverpb::RangeRequest;

constexpr char kPrefixFromKey[] =
    "`--prefix` and `--from-key` cannot be set at the same time, choose one";
constexpr char kTooMany[] =
    "too many arguments, only accept one argument when `--prefix` or `--from-key` is set";

bool Bad(CtlError* err, int code, std::string msg) {
  *err = {code, std::move(msg)};
  return false;
}

// The key and range end of --prefix / --from-key (an empty key means "\0").
void ApplyRange(const std::string& key, bool prefix, bool from_key, std::string* k,
                std::string* end) {
  *k = key;
  if (prefix) {
    if (key.empty()) {
      *k = std::string(1, '\0');
      *end = std::string(1, '\0');
    } else {
      *end = PrefixRangeEnd(key);
    }
  }
  if (from_key) {
    if (key.empty()) *k = std::string(1, '\0');
    *end = std::string(1, '\0');
  }
}

bool SortOptions(const FlagSet& f, RangeRequest* req, CtlError* err) {
  std::string order = absl::AsciiStrToUpper(f.GetString("order"));
  if (order == "ASCEND") {
    req->set_sort_order(RangeRequest::ASCEND);
  } else if (order == "DESCEND") {
    req->set_sort_order(RangeRequest::DESCEND);
  } else if (!order.empty()) {
    return Bad(err, kExitBadFeature, absl::StrCat("bad sort order ", f.GetString("order")));
  }
  static const std::pair<absl::string_view, RangeRequest::SortTarget> kTargets[] = {
      {"CREATE", RangeRequest::CREATE},   {"KEY", RangeRequest::KEY},
      {"MODIFY", RangeRequest::MOD},      {"VALUE", RangeRequest::VALUE},
      {"VERSION", RangeRequest::VERSION}, {"", RangeRequest::KEY}};
  std::string target = absl::AsciiStrToUpper(f.GetString("sort-by"));
  for (const auto& [name, t] : kTargets) {
    if (target != name) continue;
    req->set_sort_target(t);
    // clientv3.WithSort: ascending by key is the server's natural order.
    if (t == RangeRequest::KEY && req->sort_order() == RangeRequest::ASCEND) {
      req->set_sort_order(RangeRequest::NONE);
    }
    return true;
  }
  return Bad(err, kExitBadFeature, absl::StrCat("bad sort target ", f.GetString("sort-by")));
}

// etcd 3.6's --min/max-create-rev and --min/max-mod-rev (0: no bound); a minimum above the
// maximum is refused as 3.6 refuses it.
bool RevisionFilters(const FlagSet& f, RangeRequest* req, CtlError* err) {
  struct Bounds {
    const char *min_flag, *max_flag, *name;
    void (RangeRequest::*set_min)(int64_t);
    void (RangeRequest::*set_max)(int64_t);
  };
  static constexpr Bounds kBounds[] = {
      {"min-create-rev", "max-create-rev", "CreateRev", &RangeRequest::set_min_create_revision,
       &RangeRequest::set_max_create_revision},
      {"min-mod-rev", "max-mod-rev", "ModRev", &RangeRequest::set_min_mod_revision,
       &RangeRequest::set_max_mod_revision}};
  for (const Bounds& b : kBounds) {
    const int64_t lo = f.GetInt64(b.min_flag), hi = f.GetInt64(b.max_flag);
    if (lo > 0) (req->*b.set_min)(lo);
    if (hi <= 0) continue;
    if (lo > hi) {
      return Bad(err, kExitBadFeature,
                 absl::StrCat("getMin", b.name, "(=", lo, ") > getMax", b.name, "(=", hi, ")"));
    }
    (req->*b.set_max)(hi);
  }
  return true;
}

}  // namespace

std::string PrefixRangeEnd(const std::string& prefix) {
  std::string end = prefix;
  for (int i = static_cast<int>(end.size()) - 1; i >= 0; --i) {
    if (static_cast<unsigned char>(end[i]) < 0xff) {
      end[i] = static_cast<char>(end[i] + 1);
      end.resize(i + 1);
      return end;
    }
  }
  return std::string(1, '\0');
}

std::unique_ptr<Command> MakeGetCommand(RunFn run) {
  auto c = NewCommand("get [options] <key> [range_end]", "Gets the key or a range of keys",
                      std::move(run));
  FlagSet& f = c->flags;
  f.AddString("consistency", "l", "Linearizable(l) or Serializable(s)");
  f.AddString("order", "", "Order of results; ASCEND or DESCEND (ASCEND by default)");
  f.AddString("sort-by", "", "Sort target; CREATE, KEY, MODIFY, VALUE, or VERSION");
  f.Add("limit", "", FlagType::kInt64, "0", "Maximum number of results");
  f.AddBool("prefix", false, "Get keys with matching prefix");
  f.AddBool("from-key", false,
            "Get keys that are greater than or equal to the given key using byte compare");
  f.Add("rev", "", FlagType::kInt64, "0", "Specify the kv revision");
  f.AddBool("keys-only", false, "Get only the keys");
  f.AddBool("count-only", false, "Get only the count");  // etcd 3.6
  f.AddBool("print-value-only", false, "Only write values when using the \"simple\" output format");
  // etcd 3.6's revision filters.
  f.Add("min-create-rev", "", FlagType::kInt64, "0", "Minimum create revision");
  f.Add("max-create-rev", "", FlagType::kInt64, "0", "Maximum create revision");
  f.Add("min-mod-rev", "", FlagType::kInt64, "0", "Minimum modification revision");
  f.Add("max-mod-rev", "", FlagType::kInt64, "0", "Maximum modification revision");
  return c;
}

bool GetOp(const FlagSet& f, const std::vector<std::string>& args, RangeRequest* req,
           CtlError* err) {
  if (args.empty()) {
    return Bad(err, kExitBadArgs,
               "get command needs one argument as key and an optional argument as range_end");
  }
  bool prefix = f.GetBool("prefix"), from_key = f.GetBool("from-key");
  if (prefix && from_key) return Bad(err, kExitBadArgs, kPrefixFromKey);
  if (f.GetBool("keys-only") && f.GetBool("count-only")) {
    return Bad(err, kExitBadArgs,
               "`--keys-only` and `--count-only` cannot be set at the same time, choose one");
  }
  std::string consistency = f.GetString("consistency");
  if (consistency == "s") {
    req->set_serializable(true);
  } else if (consistency != "l") {
    return Bad(err, kExitBadFeature,
               absl::StrCat("unknown consistency flag ", GoQuote(consistency)));
  }
  std::string end;
  if (args.size() > 1) {
    if (prefix || from_key) return Bad(err, kExitBadArgs, kTooMany);
    end = args[1];
  }
  req->set_limit(f.GetInt64("limit"));
  if (f.GetInt64("rev") > 0) req->set_revision(f.GetInt64("rev"));
  if (!SortOptions(f, req, err)) return false;
  std::string key;
  ApplyRange(args[0], prefix, from_key, &key, &end);
  req->set_key(key);
  req->set_range_end(end);
  req->set_keys_only(f.GetBool("keys-only"));
  req->set_count_only(f.GetBool("count-only"));
  return RevisionFilters(f, req, err);
}

std::unique_ptr<Command> MakePutCommand(RunFn run) {
  auto c = NewCommand("put [options] <key> <value> (<value> can also be given from stdin)",
                      "Puts the given key into the store", std::move(run));
  c->long_desc = R"(
Puts the given key into the store.

When <value> begins with '-', <value> is interpreted as a flag.
Insert '--' for workaround:

$ put <key> -- <value>
$ put -- <key> <value>

If <value> isn't given as a command line argument and '--ignore-value' is not specified,
this command tries to read the value from standard input.

If <lease> isn't given as a command line argument and '--ignore-lease' is not specified,
this command tries to read the value from standard input.

For example,
$ cat file | put <key>
will store the content of the file to <key>.
)";
  FlagSet& f = c->flags;
  f.AddString("lease", "0", "lease ID (in hexadecimal) to attach to the key");
  f.AddBool("prev-kv", false, "return the previous key-value pair before modification");
  f.AddBool("ignore-value", false, "updates the key using its current value");
  f.AddBool("ignore-lease", false, "updates the key using its current lease");
  return c;
}

bool PutOp(const FlagSet& f, const std::vector<std::string>& args, etcdserverpb::PutRequest* req,
           CtlError* err) {
  constexpr char kNeeds[] = "put command needs 1 argument and input from stdin or 2 arguments";
  if (args.empty()) return Bad(err, kExitBadArgs, kNeeds);
  bool ignore_value = f.GetBool("ignore-value");
  if (ignore_value && args.size() > 1) {
    return Bad(err, kExitBadArgs, "put command needs only 1 argument when 'ignore-value' is set");
  }
  req->set_key(args[0]);
  if (!ignore_value) {
    if (args.size() > 1) {
      req->set_value(args[1]);
    } else {
      std::string in(std::istreambuf_iterator<char>(std::cin), {});
      if (in.empty()) return Bad(err, kExitBadArgs, kNeeds);
      req->set_value(in);
    }
  }
  auto id = GoParseInt(f.GetString("lease"), 16);
  if (!id.ok()) {
    return Bad(err, kExitBadArgs,
               absl::StrCat("bad lease ID (", id.status().message(), "), expecting ID in Hex"));
  }
  req->set_lease(*id);
  req->set_prev_kv(f.GetBool("prev-kv"));
  req->set_ignore_value(ignore_value);
  req->set_ignore_lease(f.GetBool("ignore-lease"));
  return true;
}

std::unique_ptr<Command> MakeDelCommand(RunFn run) {
  auto c =
      NewCommand("del [options] <key> [range_end]",
                 "Removes the specified key or range of keys [key, range_end)", std::move(run));
  c->flags.AddBool("prefix", false, "delete keys with matching prefix");
  c->flags.AddBool("prev-kv", false, "return deleted key-value pairs");
  c->flags.AddBool(
      "from-key", false,
      "delete keys that are greater than or equal to the given key using byte compare");
  return c;
}

bool DelOp(const FlagSet& f, const std::vector<std::string>& args,
           etcdserverpb::DeleteRangeRequest* req, CtlError* err) {
  if (args.empty() || args.size() > 2) {
    return Bad(err, kExitBadArgs,
               "del command needs one argument as key and an optional argument as range_end");
  }
  bool prefix = f.GetBool("prefix"), from_key = f.GetBool("from-key");
  if (prefix && from_key) return Bad(err, kExitBadArgs, kPrefixFromKey);
  std::string end;
  if (args.size() > 1) {
    if (prefix || from_key) return Bad(err, kExitBadArgs, kTooMany);
    end = args[1];
  }
  std::string key;
  ApplyRange(args[0], prefix, from_key, &key, &end);
  req->set_key(key);
  req->set_range_end(end);
  req->set_prev_kv(f.GetBool("prev-kv"));
  return true;
}

}  // namespace etcdpp::etcdctl
