#include "server/v2store/stats.h"

#include "absl/strings/str_cat.h"

namespace etcdpp::server::v2store {

std::string StatsToJson(const Stats& s, uint64_t watchers) {
  return absl::StrCat("{\"getsSuccess\":", s.gets_success, ",\"getsFail\":", s.gets_fail,
                      ",\"setsSuccess\":", s.sets_success, ",\"setsFail\":", s.sets_fail,
                      ",\"deleteSuccess\":", s.delete_success, ",\"deleteFail\":", s.delete_fail,
                      ",\"updateSuccess\":", s.update_success, ",\"updateFail\":", s.update_fail,
                      ",\"createSuccess\":", s.create_success, ",\"createFail\":", s.create_fail,
                      ",\"compareAndSwapSuccess\":", s.compare_and_swap_success,
                      ",\"compareAndSwapFail\":", s.compare_and_swap_fail,
                      ",\"compareAndDeleteSuccess\":", s.compare_and_delete_success,
                      ",\"compareAndDeleteFail\":", s.compare_and_delete_fail,
                      ",\"expireCount\":", s.expire_count, ",\"watchers\":", watchers, "}");
}

}  // namespace etcdpp::server::v2store
