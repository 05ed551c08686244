#include "password.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>

namespace eas::probe {
namespace {

// The terminal's settings while echo is off, for the signal handler: Ctrl-C at the prompt
// must not leave the user's shell without echo.
int g_tty = -1;
struct termios g_saved;

void restore_and_reraise(int signo) {
    if (g_tty >= 0) tcsetattr(g_tty, TCSAFLUSH, &g_saved);  // async-signal-safe
    std::signal(signo, SIG_DFL);
    std::raise(signo);
}

void write_all(int fd, const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n <= 0) return;
        done += static_cast<std::size_t>(n);
    }
}

}  // namespace

std::optional<std::string> read_password(const std::string& prompt, std::string& error) {
    if (const char* env = std::getenv("EAS_PASSWORD")) return std::string(env);

    // The terminal itself, not stdin/stdout: those may be pipes (eas-probe --json | jq).
    const int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (tty < 0) {
        error = "no password: set EAS_PASSWORD (there is no terminal to ask on)";
        return std::nullopt;
    }
    struct termios quiet;
    if (tcgetattr(tty, &g_saved) != 0) {
        ::close(tty);
        error = "no password: set EAS_PASSWORD (cannot turn terminal echo off)";
        return std::nullopt;
    }
    quiet = g_saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ICANON;
    g_tty = tty;
    auto old_int = std::signal(SIGINT, restore_and_reraise);
    auto old_term = std::signal(SIGTERM, restore_and_reraise);
    auto old_hup = std::signal(SIGHUP, restore_and_reraise);

    write_all(tty, prompt);
    tcsetattr(tty, TCSAFLUSH, &quiet);
    std::string password;
    bool complete = false;
    for (;;) {
        char c = 0;
        const ssize_t n = ::read(tty, &c, 1);
        if (n <= 0) break;  // end of input (Ctrl-D) or an error
        if (c == '\n' || c == '\r') {
            complete = true;
            break;
        }
        password += c;
    }
    tcsetattr(tty, TCSAFLUSH, &g_saved);
    write_all(tty, "\n");  // the Enter the user typed was not echoed
    g_tty = -1;
    std::signal(SIGINT, old_int);
    std::signal(SIGTERM, old_term);
    std::signal(SIGHUP, old_hup);
    ::close(tty);
    if (!complete) {
        error = "no password: the prompt was closed without one";
        return std::nullopt;
    }
    return password;
}

}  // namespace eas::probe
