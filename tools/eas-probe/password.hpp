// The account password: from the EAS_PASSWORD environment variable, else asked on the terminal
// with echo off. Never taken from the command line, where ps and shell history would show it.
#pragma once

#include <optional>
#include <string>

namespace eas::probe {

// nullopt (with the reason in `error`) when EAS_PASSWORD is unset and there is no terminal to
// ask on (a script), or the prompt was cut short.
std::optional<std::string> read_password(const std::string& prompt, std::string& error);

}  // namespace eas::probe
