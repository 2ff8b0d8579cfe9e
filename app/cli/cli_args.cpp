#include "cli_args.h"

#include <cerrno>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <sys/stat.h>

namespace wb::cli {

ArgParser::ArgParser(std::string program, std::string synopsis, std::string description)
    : program_(std::move(program)), synopsis_(std::move(synopsis)), description_(std::move(description)) {
    flag("-h", "--help", "show this help and exit");
}

void ArgParser::option(std::string shortName, std::string longName, std::string valueName, std::string help,
                       std::string defaultValue) {
    specs_.push_back({std::move(shortName), std::move(longName), std::move(valueName), std::move(help),
                      std::move(defaultValue), true});
}

void ArgParser::flag(std::string shortName, std::string longName, std::string help) {
    specs_.push_back({std::move(shortName), std::move(longName), {}, std::move(help), {}, false});
}

void ArgParser::positional(std::string name, std::string help, bool required) {
    positionals_.emplace_back(std::move(name), required);
    positionalHelp_.push_back(std::move(help));
}

const ArgParser::Spec* ArgParser::findSpec(const std::string& token) const {
    for (const Spec& spec : specs_)
        if ((!spec.shortName.empty() && token == spec.shortName) || (!spec.longName.empty() && token == spec.longName))
            return &spec;
    return nullptr;
}

const ArgParser::Spec& ArgParser::specFor(const std::string& longName) const {
    for (const Spec& spec : specs_)
        if (spec.longName == longName) return spec;
    throw std::logic_error("undeclared option " + longName);
}

bool ArgParser::parse(const std::vector<std::string>& args) {
    for (std::size_t k = 0; k < args.size(); ++k) {
        std::string token = args[k];
        std::optional<std::string> inlineValue;
        if (token.rfind("--", 0) == 0) {
            if (const auto eq = token.find('='); eq != std::string::npos) {
                inlineValue = token.substr(eq + 1);
                token = token.substr(0, eq);
            }
        }
        if (token.size() > 1 && token[0] == '-' && !(token.size() > 1 && (std::isdigit(token[1]) || token[1] == '.'))) {
            const Spec* spec = findSpec(token);
            if (spec == nullptr) throw UsageError("unknown option '" + token + "' (see " + program_ + " --help)");
            if (spec->longName == "--help") {
                std::cout << helpText();
                return false;
            }
            if (spec->takesValue) {
                if (inlineValue) {
                    values_[spec->longName] = *inlineValue;
                } else {
                    if (k + 1 >= args.size()) throw UsageError(std::string("option '").append(token).append("' needs a value"));
                    values_[spec->longName] = args[++k];
                }
            } else {
                if (inlineValue) throw UsageError(std::string("option '").append(token).append("' takes no value"));
                values_.insert_or_assign(spec->longName, std::string(1, '1'));
            }
            continue;
        }
        if (positionalValues_.size() >= positionals_.size())
            throw UsageError("unexpected argument '" + token + "' (see " + program_ + " --help)");
        positionalValues_.push_back(token);
    }
    for (std::size_t k = positionalValues_.size(); k < positionals_.size(); ++k)
        if (positionals_[k].second) throw UsageError("missing argument " + positionals_[k].first);
    return true;
}

std::string ArgParser::helpText() const {
    std::ostringstream out;
    out << "usage: " << program_ << " " << synopsis_ << "\n\n" << description_ << "\n";
    if (!positionals_.empty()) {
        out << "\narguments:\n";
        for (std::size_t k = 0; k < positionals_.size(); ++k)
            out << "  " << positionals_[k].first << std::string(std::max<int>(2, 24 - int(positionals_[k].first.size())), ' ')
                << positionalHelp_[k] << "\n";
    }
    out << "\noptions:\n";
    for (const Spec& spec : specs_) {
        std::string names = spec.shortName;
        if (!spec.longName.empty()) names += (names.empty() ? "" : ", ") + spec.longName;
        if (spec.takesValue) names += " " + spec.valueName;
        out << "  " << names << std::string(std::max<int>(2, 24 - int(names.size())), ' ') << spec.help;
        if (!spec.defaultValue.empty()) out << " (default " << spec.defaultValue << ")";
        out << "\n";
    }
    return out.str();
}

bool ArgParser::has(const std::string& longName) const { return values_.count(longName) != 0; }

std::string ArgParser::value(const std::string& longName) const {
    const auto it = values_.find(longName);
    return it != values_.end() ? it->second : specFor(longName).defaultValue;
}

std::optional<std::string> ArgParser::optionalValue(const std::string& longName) const {
    const auto it = values_.find(longName);
    if (it == values_.end()) return std::nullopt;
    return it->second;
}

long long ArgParser::integer(const std::string& longName, long long min, long long max) const {
    const std::string text = value(longName);
    errno = 0;
    char* end = nullptr;
    const long long parsed = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || end == nullptr || *end != '\0' || errno == ERANGE)
        throw UsageError("option '" + longName + "' expects an integer, got '" + text + "'");
    if (parsed < min || parsed > max)
        throw UsageError("option '" + longName + "' must be between " + std::to_string(min) + " and " +
                         std::to_string(max) + ", got " + text);
    return parsed;
}

double ArgParser::real(const std::string& longName, double min, double max) const {
    const std::string text = value(longName);
    errno = 0;
    char* end = nullptr;
    const double parsed = std::strtod(text.c_str(), &end);
    if (text.empty() || end == nullptr || *end != '\0' || errno == ERANGE || parsed != parsed)
        throw UsageError("option '" + longName + "' expects a number, got '" + text + "'");
    if (parsed < min || parsed > max) {
        std::ostringstream msg;
        msg << "option '" << longName << "' must be between " << min << " and " << max << ", got " << text;
        throw UsageError(msg.str());
    }
    return parsed;
}

const std::string& ArgParser::positionalValue(std::size_t index) const { return positionalValues_.at(index); }

void requireFile(const std::string& path, const std::string& what) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw UsageError("no such " + what + ": " + path);
    if (!S_ISREG(st.st_mode)) throw UsageError(what + " is not a regular file: " + path);
}

} // namespace wb::cli
