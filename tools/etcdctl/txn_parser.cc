#include "txn_parser.h"

#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/go_text.h"
#include "kv_ops.h"

namespace etcdpp::etcdctl {
namespace {

using etcdserverpb::Compare;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Reads a Go quoted string ("..." or `...`) at s[*i] after skipping spaces (fmt's %q).
bool ScanQuoted(absl::string_view s, size_t* i, std::string* out) {
  while (*i < s.size() && IsSpace(s[*i])) ++*i;
  if (*i >= s.size()) return false;
  char q = s[*i];
  if (q == '`') {
    size_t end = s.find('`', *i + 1);
    if (end == absl::string_view::npos) return false;
    *out = std::string(s.substr(*i + 1, end - *i - 1));
    *i = end + 1;
    return true;
  }
  if (q != '"') return false;
  size_t j = *i + 1;
  while (j < s.size() && s[j] != '"') j += s[j] == '\\' ? 2 : 1;
  if (j >= s.size()) return false;
  auto v = GoUnquote(s.substr(*i, j - *i + 1));
  if (!v.ok()) return false;
  *out = *v;
  *i = j + 1;
  return true;
}

// fmt.Sscanf(rest, "%q) %s %q", &key, &op, &val): the number of items scanned.
int ScanCompare(absl::string_view rest, std::string* key, std::string* op, std::string* val) {
  size_t i = 0;
  if (!ScanQuoted(rest, &i, key)) return 0;
  if (i >= rest.size() || rest[i] != ')') return 1;
  ++i;
  while (i < rest.size() && IsSpace(rest[i])) ++i;
  size_t start = i;
  while (i < rest.size() && !IsSpace(rest[i])) ++i;
  if (i == start) return 1;
  *op = std::string(rest.substr(start, i - start));
  return ScanQuoted(rest, &i, val) ? 3 : 2;
}

bool Invalid(CtlError* err, std::string msg) {
  *err = {kExitInvalidInput, std::move(msg)};
  return false;
}

// A line from the reader: false (with Go's "EOF") when the input ends before a newline.
bool ReadLine(std::istream& in, std::string* line, CtlError* err) {
  if (!std::getline(in, *line) || in.eof()) return Invalid(err, "EOF");
  *line = std::string(absl::StripAsciiWhitespace(*line));
  return true;
}

}  // namespace

bool Argify(absl::string_view s, std::vector<std::string>* words) {
  std::vector<std::string> raw;
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (IsSpace(c)) {
      ++i;
      continue;
    }
    size_t end = i + 1;
    if (c == '"') {
      while (end < s.size() && s[end] != '"') end += s[end] == '\\' ? 2 : 1;
      if (end >= s.size()) {  // no closing quote: the regexp matches no quoted word here
        ++i;
        continue;
      }
      ++end;
    } else if (c == '\'') {
      end = s.find('\'', i + 1);
      if (end == absl::string_view::npos) {
        ++i;
        continue;
      }
      ++end;
    } else {
      while (end < s.size() && !IsSpace(s[end])) ++end;
    }
    raw.emplace_back(s.substr(i, end - i));
    i = end;
  }
  for (std::string& w : raw) {
    if (w[0] == '\'') {
      // etcdctl 3.4 slices by len(args)-1, the number of words, not the word's length.
      size_t cut = raw.size() - 1;
      w = cut >= 1 && cut <= w.size() ? w.substr(1, cut - 1) : std::string();
    } else if (w[0] == '"') {
      auto v = GoUnquote(w);
      if (!v.ok()) return false;
      w = *v;
    }
  }
  *words = std::move(raw);
  return true;
}

bool ParseCompare(absl::string_view line, Compare* cmp, CtlError* err) {
  size_t paren = line.find('(');
  if (paren == absl::string_view::npos) {
    return Invalid(err, absl::StrCat("malformed comparison: ", line));
  }
  std::string target(line.substr(0, paren)), key, op, val;
  int n = ScanCompare(line.substr(paren + 1), &key, &op, &val);
  if (n != 3) {
    return Invalid(err, absl::StrCat("malformed comparison: ", line, "; got ", target, "(",
                                     GoQuote(key), ") ", op, " ", GoQuote(val)));
  }
  static const std::pair<absl::string_view, Compare::CompareTarget> kTargets[] = {
      {"ver", Compare::VERSION},   {"version", Compare::VERSION}, {"c", Compare::CREATE},
      {"create", Compare::CREATE}, {"m", Compare::MOD},           {"mod", Compare::MOD},
      {"val", Compare::VALUE},     {"value", Compare::VALUE}};
  bool found = false;
  for (const auto& [name, t] : kTargets) {
    if (target == name) cmp->set_target(t), found = true;
  }
  if (!found) {
    return Invalid(err,
                   absl::StrCat("malformed comparison: ", line, " (unknown target ", target, ")"));
  }
  cmp->set_key(key);
  if (cmp->target() == Compare::VALUE) {
    cmp->set_value(val);
  } else {
    auto v = GoParseInt(val, 10);
    if (!v.ok()) return Invalid(err, absl::StrCat("invalid txn compare request: ", line));
    if (cmp->target() == Compare::VERSION) cmp->set_version(*v);
    if (cmp->target() == Compare::CREATE) cmp->set_create_revision(*v);
    if (cmp->target() == Compare::MOD) cmp->set_mod_revision(*v);
  }
  if (op == "=" || op == "==")
    cmp->set_result(Compare::EQUAL);
  else if (op == "!=")
    cmp->set_result(Compare::NOT_EQUAL);
  else if (op == "<")
    cmp->set_result(Compare::LESS);
  else if (op == ">")
    cmp->set_result(Compare::GREATER);
  else {
    // clientv3.Compare panics on an unknown operator; etcdctl dies with Go's panic exit code.
    *err = {2, "Unknown result op"};
    return false;
  }
  return true;
}

bool ParseRequestLine(absl::string_view line, etcdserverpb::RequestOp* op, CtlError* err) {
  std::vector<std::string> args;
  if (!Argify(line, &args)) return Invalid(err, "unexpected EOF");
  if (args.size() < 2) return Invalid(err, absl::StrCat("invalid txn compare request: ", line));
  const std::string invalid = absl::StrCat("invalid txn request: ", line);
  std::unique_ptr<Command> cmds[] = {MakePutCommand(nullptr), MakeGetCommand(nullptr),
                                     MakeDelCommand(nullptr)};
  Command* cmd = nullptr;
  int matches = 0;
  for (auto& c : cmds) {
    if (c->Name() == args[0]) {
      cmd = c.get();
      matches = 1;
      break;
    }
    if (c->Name().rfind(args[0], 0) == 0) cmd = c.get(), ++matches;
  }
  if (cmd == nullptr || matches != 1) return Invalid(err, invalid);
  cmd->flags.AddBool("help", false, "help for " + cmd->Name(), "h");
  auto positional = cmd->flags.Parse({args.begin() + 1, args.end()});
  if (!positional.ok()) {
    // The nested cobra command prints its default usage on a flag error.
    std::cerr << CobraDefaultUsage(*cmd) << "\n";
    return Invalid(err, invalid);
  }
  if (cmd->flags.GetBool("help")) return Invalid(err, invalid);
  if (cmd->Name() == "put") return PutOp(cmd->flags, *positional, op->mutable_request_put(), err);
  if (cmd->Name() == "get") return GetOp(cmd->flags, *positional, op->mutable_request_range(), err);
  return DelOp(cmd->flags, *positional, op->mutable_request_delete_range(), err);
}

bool ReadTxn(std::istream& in, bool interactive, etcdserverpb::TxnRequest* txn, CtlError* err) {
  auto prompt = [&](absl::string_view s) {
    if (interactive) std::cout << s << "\n" << std::flush;
  };
  std::string line;
  prompt("compares:");
  while (true) {
    if (!ReadLine(in, &line, err)) return false;
    if (line.empty()) break;
    if (!ParseCompare(line, txn->add_compare(), err)) return false;
  }
  for (auto* ops : {txn->mutable_success(), txn->mutable_failure()}) {
    prompt(ops == txn->mutable_success() ? "success requests (get, put, del):"
                                         : "failure requests (get, put, del):");
    while (true) {
      if (!ReadLine(in, &line, err)) return false;
      if (line.empty()) break;
      if (!ParseRequestLine(line, ops->Add(), err)) return false;
    }
  }
  return true;
}

}  // namespace etcdpp::etcdctl
