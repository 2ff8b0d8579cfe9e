// iwb: Inference Workbench on the command line. Dispatches to the registered subcommands.
#include "cli_args.h"
#include "cli_command.h"

#include <algorithm>
#include <exception>
#include <iostream>

namespace wb::cli {

std::vector<Command>& commandRegistry() {
    static std::vector<Command> commands;
    return commands;
}

CommandRegistration::CommandRegistration(Command command) { commandRegistry().push_back(std::move(command)); }

} // namespace wb::cli

namespace {

void printUsage(std::ostream& out) {
    auto commands = wb::cli::commandRegistry();
    std::sort(commands.begin(), commands.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    out << "usage: iwb COMMAND [options]    (iwb COMMAND --help for each command)\n\n"
           "Inference Workbench " WB_VERSION ": run, profile and simulate local GGUF language models.\n\n"
           "commands:\n";
    for (const auto& command : commands)
        out << "  " << command.name << std::string(std::max<int>(2, 12 - int(command.name.size())), ' ')
            << command.summary << "\n";
    out << "\n  --version   print the version\n  --help      print this help\n";
}

} // namespace

int main(int argc, char** argv) {
    using namespace wb::cli;
    if (argc < 2) {
        printUsage(std::cerr);
        return kExitUsage;
    }
    const std::string first = argv[1];
    if (first == "--help" || first == "-h" || first == "help") {
        printUsage(std::cout);
        return kExitOk;
    }
    if (first == "--version") {
        std::cout << "iwb " WB_VERSION "\n";
        return kExitOk;
    }
    const auto& commands = commandRegistry();
    const auto it = std::find_if(commands.begin(), commands.end(), [&](const auto& c) { return c.name == first; });
    if (it == commands.end()) {
        std::cerr << "iwb: unknown command '" << first << "' (see iwb --help)\n";
        return kExitUsage;
    }
    const std::vector<std::string> args(argv + 2, argv + argc);
    try {
        return it->run(args);
    } catch (const UsageError& error) {
        std::cerr << "iwb " << first << ": " << error.what() << "\n";
        return kExitUsage;
    } catch (const std::exception& error) {
        std::cerr << "iwb " << first << ": error: " << error.what() << "\n";
        return kExitFailure;
    }
}
