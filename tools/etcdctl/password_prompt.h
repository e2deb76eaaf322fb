#pragma once
// Reading a password from the terminal without echo (speakeasy.Ask, as etcdctl uses it).

#include <string>
#include "absl/strings/string_view.h"

namespace etcdpp::etcdctl {

// Prints prompt on stderr and reads a line from the terminal (stdin when it is not one) with
// echo off. Returns "" on end of input.
std::string PromptPassword(absl::string_view prompt);

}  // namespace etcdpp::etcdctl
