#pragma once
// The iwb subcommand registry. Each cmd_*.cpp registers one subcommand through a static
// CommandRegistration; main.cpp only dispatches.
#include <functional>
#include <string>
#include <vector>

namespace wb::cli {

// Exit codes shared by every subcommand.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1; // the input was read but is bad, or the work failed
constexpr int kExitUsage = 2;   // unknown flag, missing argument, missing file

struct Command {
    std::string name;
    std::string summary; // one line for `iwb --help`
    std::function<int(const std::vector<std::string>& args)> run;
};

std::vector<Command>& commandRegistry();

struct CommandRegistration {
    explicit CommandRegistration(Command command);
};

} // namespace wb::cli
