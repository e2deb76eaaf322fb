#pragma once
// Go's text/tabwriter as etcdctl's help uses it: Init(w, minwidth 0, tabwidth 8, padding 1,
// padchar '\t', flags 0). Cells end at '\t'; consecutive lines with a cell in the same column
// form a block whose width is the widest cell plus the padding, rounded up to the tab width,
// and cells are padded with tabs. The text after a line's last tab is not a column.

#include <string>
#include "absl/strings/string_view.h"

namespace etcdpp::etcdctl {

std::string TabFormat(absl::string_view text);

}  // namespace etcdpp::etcdctl
