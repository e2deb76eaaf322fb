#include "tabwriter.h"

#include <vector>

#include "absl/strings/str_split.h"

namespace etcdpp::etcdctl {
namespace {

constexpr int kTabWidth = 8;
constexpr int kPadding = 1;

using Line = std::vector<std::string>;  // cells; the last one is the trailing text

// Width in runes (UTF-8 continuation bytes do not count), as tabwriter measures text.
int RuneWidth(absl::string_view s) {
  int n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

class Formatter {
 public:
  explicit Formatter(std::vector<Line> lines) : lines_(std::move(lines)) {}

  std::string Run() {
    Format(0, lines_.size());
    return out_;
  }

 private:
  void WriteLines(size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      const Line& line = lines_[i];
      for (size_t j = 0; j < line.size(); ++j) {
        out_ += line[j];
        if (j + 1 < line.size() && j < widths_.size()) Pad(RuneWidth(line[j]), widths_[j]);
      }
      if (i + 1 < lines_.size()) out_ += '\n';
    }
  }

  void Pad(int text_width, int cell_width) {
    cell_width = (cell_width + kTabWidth - 1) / kTabWidth * kTabWidth;
    int n = cell_width - text_width;
    out_.append((n + kTabWidth - 1) / kTabWidth, '\t');
  }

  // The recursive block algorithm of tabwriter's format().
  void Format(size_t line0, size_t line1) {
    const size_t column = widths_.size();
    for (size_t cur = line0; cur < line1; ++cur) {
      if (column + 1 >= lines_[cur].size()) continue;
      WriteLines(line0, cur);
      line0 = cur;
      int width = 0;
      for (; cur < line1; ++cur) {
        if (column + 1 >= lines_[cur].size()) break;
        width = std::max(width, RuneWidth(lines_[cur][column]) + kPadding);
      }
      widths_.push_back(width);
      Format(line0, cur);
      widths_.pop_back();
      line0 = cur;
      if (cur >= line1) return;
      --cur;  // the loop's ++ revisits the line that ended the block
    }
    WriteLines(line0, line1);
  }

  std::vector<Line> lines_;
  std::vector<int> widths_;
  std::string out_;
};

}  // namespace

std::string TabFormat(absl::string_view text) {
  std::vector<Line> lines;
  for (absl::string_view l : absl::StrSplit(text, '\n')) {
    lines.push_back(absl::StrSplit(l, '\t'));
  }
  return Formatter(std::move(lines)).Run();
}

}  // namespace etcdpp::etcdctl
