// fsspeckit: the crash points and lease timing a test installs in this process
// (_core._set_test_hooks), handed to the core through options by the bindings.
#include "test_hooks.h"

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <mutex>
#include <optional>
#include <string>

#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>

#include "init.h"

namespace nb = nanobind;

namespace fsspeckit::python {
namespace {

std::mutex hooks_mutex;
std::shared_ptr<const io::TestHooks> installed_hooks;

// Creates `path` if it does not exist (O_EXCL: once, across processes).
bool ClaimOnce(const std::string& path) {
  const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

}  // namespace

std::shared_ptr<const io::TestHooks> InstalledTestHooks() {
  std::lock_guard<std::mutex> lock(hooks_mutex);
  return installed_hooks;
}

void InitTestHooks(nb::module_& m) {
  m.def(
      "_set_test_hooks",
      [](std::optional<int64_t> kill_after_moves, std::optional<std::string> kill_task_marker,
         std::optional<int64_t> lease_ms) {
        std::shared_ptr<io::TestHooks> hooks;
        if (kill_after_moves || kill_task_marker || lease_ms) hooks = std::make_shared<io::TestHooks>();
        if (kill_after_moves) {
          hooks->before_commit_move = [moves = *kill_after_moves](int64_t done) {
            if (done == moves) ::raise(SIGKILL);
          };
        }
        if (kill_task_marker) {
          hooks->after_rewrite_row_group = [marker = *kill_task_marker](int64_t row_groups_done) {
            if (row_groups_done == 1 && ClaimOnce(marker)) ::raise(SIGKILL);
          };
        }
        if (lease_ms) hooks->lease_ms = *lease_ms;
        std::lock_guard<std::mutex> lock(hooks_mutex);
        installed_hooks = std::move(hooks);
      },
      nb::arg("kill_after_moves").none() = nb::none(), nb::arg("kill_task_marker").none() = nb::none(),
      nb::arg("lease_ms").none() = nb::none(),
      "For tests only. kill_after_moves: SIGKILL this process before that many moves of "
      "a commit are done (after its commit point). kill_task_marker: the first merge rewrite "
      "that creates this file (once, across processes) kills its process after its first "
      "row group. lease_ms: the lock's lease on object stores. No argument: none of these.");
}

}  // namespace fsspeckit::python
