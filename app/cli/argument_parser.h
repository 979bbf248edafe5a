#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace cfx::cli {

// A command-line mistake: printed with the command's usage, exit status 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Options of the form --name VALUE (or --name=VALUE), repeatable where declared, and --help.
class ArgumentParser {
 public:
  ArgumentParser(std::string command, std::string summary);

  ArgumentParser& option(const std::string& name, const std::string& valueName,
                         const std::string& help,
                         std::optional<std::string> defaultValue = std::nullopt);
  ArgumentParser& required(const std::string& name, const std::string& valueName,
                           const std::string& help);
  ArgumentParser& repeated(const std::string& name, const std::string& valueName,
                           const std::string& help);
  ArgumentParser& flag(const std::string& name, const std::string& help);
  // Accepts arguments that are not options (e.g. folders); `required` demands at least one.
  ArgumentParser& positional(const std::string& valueName, const std::string& help, bool required);
  const std::vector<std::string>& positionals() const { return positionals_; }

  // Returns false when --help was asked for (usage already printed to stdout).
  bool parse(const std::vector<std::string>& arguments);
  std::string usage() const;

  std::string get(const std::string& name) const;
  std::vector<std::string> all(const std::string& name) const;
  bool has(const std::string& name) const;
  long getInteger(const std::string& name, long min, long max) const;
  double getNumber(const std::string& name) const;  // finite
  // An on|off option as a bool; any other value is a ValidationError naming the command.
  bool getSwitch(const std::string& name) const;

 private:
  struct Spec {
    std::string name, valueName, help;
    std::optional<std::string> defaultValue;
    bool required = false, repeated = false, isFlag = false;
  };
  const Spec& spec(const std::string& name) const;

  std::string command_, summary_;
  std::vector<Spec> specs_;
  std::map<std::string, std::vector<std::string>> values_;
  std::optional<Spec> positional_;
  std::vector<std::string> positionals_;
};

// The finite number that is the whole of `text`, or nothing ("3x", "nan", "" are not numbers).
std::optional<double> parseFiniteNumber(const std::string& text);

// The command as typed, for model provenance.
std::string commandLine(const std::string& command, const std::vector<std::string>& arguments);

}  // namespace cfx::cli
