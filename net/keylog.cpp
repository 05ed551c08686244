#include "keylog.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

namespace eas::net {
namespace {

// OpenSSL's key log callback carries no user pointer: one process-wide file.
std::mutex keylog_mutex;
int keylog_fd = -1;

void write_line(const SSL*, const char* line) {
    std::string text(line);
    text.push_back('\n');
    std::lock_guard lock(keylog_mutex);
    if (keylog_fd < 0) return;
    // One write per line (O_APPEND): lines from both sides never interleave.
    [[maybe_unused]] const auto n = ::write(keylog_fd, text.data(), text.size());
}

}  // namespace

bool open_keylog(const std::string& path, std::string& error) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        error = path + ": " + std::strerror(errno);
        return false;
    }
    ::fchmod(fd, 0600);
    std::lock_guard lock(keylog_mutex);
    if (keylog_fd >= 0) ::close(keylog_fd);
    keylog_fd = fd;
    return true;
}

void attach_keylog(ssl::context& ctx) {
    std::lock_guard lock(keylog_mutex);
    if (keylog_fd >= 0) SSL_CTX_set_keylog_callback(ctx.native_handle(), write_line);
}

}  // namespace eas::net
