#pragma once
// Reading a password from the terminal without echo (speakeasy.Ask, as etcdctl uses it).

#include <string>
#include "absl/strings/string_view.h"

namespace etcdpp::etcdctl {

// Prints prompt on stderr and reads a line from the terminal (stdin when it is not one) with
// echo off. Returns "" on end of input.
std::string PromptPassword(absl::string_view prompt);

// Reads a line from stdin (without its newline), the terminal's echo off while it is read when
// stdin is a terminal; *was_tty says whether it was. The prompts of the v3 and v2 commands.
std::string ReadLineWithoutEcho(bool* was_tty);

}  // namespace etcdpp::etcdctl
