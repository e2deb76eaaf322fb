#include "password_prompt.h"

#include <termios.h>
#include <unistd.h>

#include <iostream>

namespace etcdpp::etcdctl {

std::string ReadLineWithoutEcho(bool* was_tty) {
  termios old{};
  const bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
  if (tty) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) tcsetattr(STDIN_FILENO, TCSANOW, &old);
  *was_tty = tty;
  return line;
}

std::string PromptPassword(absl::string_view prompt) {
  std::cerr << prompt << std::flush;
  bool tty = false;
  std::string line = ReadLineWithoutEcho(&tty);
  if (tty) std::cerr << "\n";
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace etcdpp::etcdctl
