#include "common/go_flags.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/go_text.h"

namespace etcdpp {
namespace {

// Checks text against the flag's type; returns the value in DefValue's form.
absl::StatusOr<std::string> Canonical(const Flag& f, absl::string_view text) {
  switch (f.type) {
    case FlagType::kBool: {
      auto b = GoParseBool(text);
      if (!b.ok()) return b.status();
      return std::string(*b ? "true" : "false");
    }
    case FlagType::kInt:
    case FlagType::kInt64: {
      auto v = GoParseInt(text, 0);
      if (!v.ok()) return v.status();
      return absl::StrCat(*v);
    }
    case FlagType::kUint:
    case FlagType::kUint64: {
      auto v = GoParseUint(text, 0);
      if (!v.ok()) return v.status();
      return absl::StrCat(*v);
    }
    case FlagType::kDuration: {
      auto d = GoParseDuration(text);
      if (!d.ok()) return d.status();
      return GoDurationString(*d);
    }
    default:
      return std::string(text);
  }
}

std::string ArgName(const Flag& f) {
  return f.shorthand.empty() ? absl::StrCat("--", f.name)
                             : absl::StrCat("-", f.shorthand, ", --", f.name);
}

}  // namespace

absl::string_view Flag::TypeName() const {
  switch (type) {
    case FlagType::kBool:
      return "bool";
    case FlagType::kString:
      return "string";
    case FlagType::kInt:
      return "int";
    case FlagType::kInt64:
      return "int64";
    case FlagType::kUint:
      return "uint";
    case FlagType::kUint64:
      return "uint64";
    case FlagType::kDuration:
      return "duration";
    case FlagType::kStringSlice:
      return "stringSlice";
  }
  return "";
}

std::vector<std::string> SplitSliceValue(absl::string_view text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"' && cur.empty()) {
      quoted = true;
    } else if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

std::string PflagUsages(const std::vector<const Flag*>& flags) {
  std::vector<std::pair<std::string, std::string>> lines;
  size_t width = 0;
  for (const Flag* f : flags) {
    std::string left = f->shorthand.empty() ? absl::StrCat("      --", f->name)
                                            : absl::StrCat("  -", f->shorthand, ", --", f->name);
    absl::string_view type = f->TypeName();  // as pflag's UnquoteUsage names it
    if (type == "int64") type = "int";
    if (type == "uint64") type = "uint";
    if (type == "stringSlice") type = "strings";
    if (type != "bool") absl::StrAppend(&left, " ", type);
    std::string usage = f->usage;
    const bool zero = f->def_value.empty() || f->def_value == "false" || f->def_value == "0" ||
                      f->def_value == "0s" || f->def_value == "[]";
    if (!zero) {
      absl::StrAppend(&usage, " (default ",
                      f->type == FlagType::kString ? GoQuote(f->def_value) : f->def_value, ")");
    }
    width = std::max(width, left.size());
    lines.emplace_back(std::move(left), std::move(usage));
  }
  std::string out;
  for (const auto& [left, usage] : lines) {
    absl::StrAppend(&out, left, std::string(width - left.size() + 3, ' '), usage, "\n");
  }
  return out;
}

Flag* FlagSet::Add(std::string name, std::string shorthand, FlagType type, std::string def,
                   std::string usage) {
  auto f = std::make_unique<Flag>();
  f->name = std::move(name);
  f->shorthand = std::move(shorthand);
  f->type = type;
  f->usage = std::move(usage);
  f->def_value = def;
  f->value = def;
  Flag* raw = f.get();
  flags_[raw->name] = raw;
  owned_.push_back(std::move(f));
  return raw;
}

Flag* FlagSet::AddBool(std::string name, bool def, std::string usage, std::string shorthand) {
  return Add(std::move(name), std::move(shorthand), FlagType::kBool, def ? "true" : "false",
             std::move(usage));
}

Flag* FlagSet::AddString(std::string name, std::string def, std::string usage,
                         std::string shorthand) {
  return Add(std::move(name), std::move(shorthand), FlagType::kString, std::move(def),
             std::move(usage));
}

Flag* FlagSet::AddStringSlice(std::string name, std::vector<std::string> def, std::string usage) {
  Flag* f = Add(std::move(name), "", FlagType::kStringSlice,
                absl::StrCat("[", absl::StrJoin(def, ","), "]"), std::move(usage));
  f->items = std::move(def);
  return f;
}

void FlagSet::Merge(const FlagSet& other) {
  for (const auto& [name, f] : other.flags_) flags_.emplace(name, f);
}

Flag* FlagSet::Lookup(absl::string_view name) const {
  auto it = flags_.find(name);
  return it == flags_.end() ? nullptr : it->second;
}

Flag* FlagSet::LookupShort(char c) const {
  for (const auto& [name, f] : flags_) {
    if (f->shorthand.size() == 1 && f->shorthand[0] == c) return f;
  }
  return nullptr;
}

std::vector<const Flag*> FlagSet::Sorted() const {
  std::vector<const Flag*> out;
  for (const auto& [name, f] : flags_) out.push_back(f);
  return out;
}

absl::Status FlagSet::Set(Flag* f, absl::string_view text) {
  if (f->type == FlagType::kStringSlice) {
    auto parts = SplitSliceValue(text);
    if (!f->changed) f->items.clear();
    f->items.insert(f->items.end(), parts.begin(), parts.end());
    f->value = absl::StrCat("[", absl::StrJoin(f->items, ","), "]");
    f->changed = true;
    return absl::OkStatus();
  }
  auto v = Canonical(*f, text);
  if (!v.ok()) return SetError(*f, text, v.status());
  f->value = *v;
  f->changed = true;
  return absl::OkStatus();
}

absl::Status FlagSet::SetError(const Flag& f, absl::string_view text,
                               const absl::Status& why) const {
  if (syntax_ == FlagSyntax::kPflag) {
    return absl::InvalidArgumentError(absl::StrCat("invalid argument ", GoQuote(text), " for ",
                                                   GoQuote(ArgName(f)), " flag: ", why.message()));
  }
  // Go's flag package: its values report only "parse error" (errParse).
  return absl::InvalidArgumentError(
      f.IsBool()
          ? absl::StrCat("invalid boolean value ", GoQuote(text), " for -", f.name, ": parse error")
          : absl::StrCat("invalid value ", GoQuote(text), " for flag -", f.name, ": parse error"));
}

absl::Status FlagSet::ParseLong(absl::string_view arg, const std::vector<std::string>& args,
                                size_t* i) {
  absl::string_view body = arg.substr(2);
  size_t eq = body.find('=');
  absl::string_view name = body.substr(0, eq);
  if (name.empty() || name[0] == '-' || name[0] == '=') {
    return absl::InvalidArgumentError(absl::StrCat("bad flag syntax: ", arg));
  }
  Flag* f = Lookup(name);
  if (f == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown flag: --", name));
  if (eq != absl::string_view::npos) return Set(f, body.substr(eq + 1));
  if (f->IsBool()) return Set(f, "true");
  if (*i + 1 >= args.size()) {
    return absl::InvalidArgumentError(absl::StrCat("flag needs an argument: ", arg));
  }
  return Set(f, args[++*i]);
}

absl::Status FlagSet::ParseShort(absl::string_view arg, const std::vector<std::string>& args,
                                 size_t* i) {
  absl::string_view shorts = arg.substr(1);
  while (!shorts.empty()) {
    char c = shorts[0];
    Flag* f = LookupShort(c);
    if (f == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown shorthand flag: '", std::string(1, c), "' in -", shorts));
    }
    if (shorts.size() > 2 && shorts[1] == '=') return Set(f, shorts.substr(2));
    if (f->IsBool()) {
      absl::Status s = Set(f, "true");
      if (!s.ok()) return s;
      shorts.remove_prefix(1);
      continue;
    }
    if (shorts.size() > 1) return Set(f, shorts.substr(shorts[1] == '=' ? 2 : 1));
    if (*i + 1 >= args.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("flag needs an argument: '", std::string(1, c), "' in -", shorts));
    }
    return Set(f, args[++*i]);
  }
  return absl::OkStatus();
}

// Go's FlagSet.parseOne, one flag (arg starts with '-' and is not "-" or "--").
absl::Status FlagSet::ParseGoFlag(absl::string_view arg, const std::vector<std::string>& args,
                                  size_t* i) {
  absl::string_view name = arg.substr(arg[1] == '-' ? 2 : 1);
  if (name.empty() || name[0] == '-' || name[0] == '=') {
    return absl::InvalidArgumentError(absl::StrCat("bad flag syntax: ", arg));
  }
  std::optional<absl::string_view> value;
  if (size_t eq = name.find('='); eq != absl::string_view::npos) {
    value = name.substr(eq + 1);
    name = name.substr(0, eq);
  }
  Flag* f = Lookup(name);
  if (f == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("flag provided but not defined: -", name));
  }
  if (f->IsBool()) return Set(f, value.value_or("true"));
  if (!value.has_value()) {
    if (*i + 1 >= args.size()) {
      return absl::InvalidArgumentError(absl::StrCat("flag needs an argument: -", name));
    }
    value = args[++*i];
  }
  return Set(f, *value);
}

absl::StatusOr<std::vector<std::string>> FlagSet::ParseGo(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() < 2 || a[0] != '-') return std::vector<std::string>(args.begin() + i, args.end());
    if (a == "--") return std::vector<std::string>(args.begin() + i + 1, args.end());
    absl::Status s = ParseGoFlag(a, args, &i);
    if (!s.ok()) return s;
  }
  return std::vector<std::string>{};
}

absl::StatusOr<std::vector<std::string>> FlagSet::Parse(const std::vector<std::string>& args) {
  if (syntax_ == FlagSyntax::kGoFlag) return ParseGo(args);
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() < 2 || a[0] != '-') {
      positional.push_back(a);
      continue;
    }
    if (a == "--") {
      positional.insert(positional.end(), args.begin() + i + 1, args.end());
      break;
    }
    absl::Status s = a[1] == '-' ? ParseLong(a, args, &i) : ParseShort(a, args, &i);
    if (!s.ok()) return s;
  }
  return positional;
}

std::vector<std::string> FlagSet::CommandWords(const std::vector<std::string>& args) const {
  auto takes_value = [](const Flag* f) { return f == nullptr || !f->IsBool(); };
  std::vector<std::string> words;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& s = args[i];
    if (s == "--") break;
    const bool has_eq = s.find('=') != std::string::npos;
    if (!has_eq && s.size() > 2 && s[0] == '-' && s[1] == '-' &&
        takes_value(Lookup(absl::string_view(s).substr(2)))) {
      ++i;
    } else if (!has_eq && s.size() == 2 && s[0] == '-' && s[1] != '-' &&
               takes_value(LookupShort(s[1]))) {
      ++i;
    } else if (!s.empty() && s[0] != '-') {
      words.push_back(s);
    }
  }
  return words;
}

bool FlagSet::GetBool(absl::string_view name) const { return Lookup(name)->value == "true"; }

std::string FlagSet::GetString(absl::string_view name) const { return Lookup(name)->value; }

int64_t FlagSet::GetInt64(absl::string_view name) const {
  return GoParseInt(Lookup(name)->value, 10).value_or(0);
}

uint64_t FlagSet::GetUint64(absl::string_view name) const {
  return GoParseUint(Lookup(name)->value, 10).value_or(0);
}

absl::Duration FlagSet::GetDuration(absl::string_view name) const {
  return GoParseDuration(Lookup(name)->value).value_or(absl::ZeroDuration());
}

std::vector<std::string> FlagSet::GetStringSlice(absl::string_view name) const {
  return Lookup(name)->items;
}

bool FlagSet::Changed(absl::string_view name) const {
  const Flag* f = Lookup(name);
  return f != nullptr && f->changed;
}

}  // namespace etcdpp
