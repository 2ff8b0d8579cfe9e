#pragma once
// A small, strict command-line parser: every flag is declared, anything else is a usage error.
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace wb::cli {

class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class ArgParser {
public:
    ArgParser(std::string program, std::string synopsis, std::string description);

    // A flag with a value: "-m", "--model" (either spelling may be empty).
    void option(std::string shortName, std::string longName, std::string valueName, std::string help,
                std::string defaultValue = {});
    // A boolean switch.
    void flag(std::string shortName, std::string longName, std::string help);
    // Named positional arguments, in order; `required` ones must be present.
    void positional(std::string name, std::string help, bool required = true);

    // Throws UsageError with a one-line message. Returns false when --help was given (help printed).
    bool parse(const std::vector<std::string>& args);
    std::string helpText() const;

    bool has(const std::string& longName) const;
    std::string value(const std::string& longName) const; // default when absent
    std::optional<std::string> optionalValue(const std::string& longName) const;
    long long integer(const std::string& longName, long long min, long long max) const;
    double real(const std::string& longName, double min, double max) const;
    const std::string& positionalValue(std::size_t index) const;
    std::size_t positionalCount() const { return positionalValues_.size(); }

private:
    struct Spec {
        std::string shortName, longName, valueName, help, defaultValue;
        bool takesValue = false;
    };
    const Spec* findSpec(const std::string& token) const;
    const Spec& specFor(const std::string& longName) const;

    std::string program_, synopsis_, description_;
    std::vector<Spec> specs_;
    std::vector<std::pair<std::string, bool>> positionals_; // name, required
    std::vector<std::string> positionalHelp_;
    std::map<std::string, std::string> values_;
    std::vector<std::string> positionalValues_;
};

// Throws UsageError "no such file: PATH" when the path is not a readable regular file.
void requireFile(const std::string& path, const std::string& what);

} // namespace wb::cli
