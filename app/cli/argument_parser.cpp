#include "argument_parser.h"

#include <cmath>
#include <iostream>

#include "validation_error.h"

namespace cfx::cli {

ArgumentParser::ArgumentParser(std::string command, std::string summary)
    : command_(std::move(command)), summary_(std::move(summary)) {}

ArgumentParser& ArgumentParser::option(const std::string& name, const std::string& valueName,
                                       const std::string& help,
                                       std::optional<std::string> defaultValue) {
  specs_.push_back({name, valueName, help, std::move(defaultValue)});
  return *this;
}

ArgumentParser& ArgumentParser::required(const std::string& name, const std::string& valueName,
                                         const std::string& help) {
  specs_.push_back({name, valueName, help, std::nullopt, true});
  return *this;
}

ArgumentParser& ArgumentParser::repeated(const std::string& name, const std::string& valueName,
                                         const std::string& help) {
  specs_.push_back({name, valueName, help, std::nullopt, false, true});
  return *this;
}

ArgumentParser& ArgumentParser::flag(const std::string& name, const std::string& help) {
  specs_.push_back({name, "", help, std::nullopt, false, false, true});
  return *this;
}

const ArgumentParser::Spec& ArgumentParser::spec(const std::string& name) const {
  for (const auto& s : specs_)
    if (s.name == name) return s;
  throw std::logic_error("undeclared option --" + name);
}

ArgumentParser& ArgumentParser::positional(const std::string& valueName, const std::string& help,
                                           bool required) {
  positional_ = Spec{"", valueName, help, std::nullopt, required, true, false};
  return *this;
}

bool ArgumentParser::parse(const std::vector<std::string>& arguments) {
  for (size_t i = 0; i < arguments.size(); ++i) {
    std::string argument = arguments[i];
    if (argument == "--help" || argument == "-h") {
      std::cout << usage();
      return false;
    }
    if (argument.rfind("--", 0) != 0) {
      if (!positional_) throw UsageError("unexpected argument '" + argument + "'");
      positionals_.push_back(argument);
      continue;
    }
    std::string name = argument.substr(2), value;
    const auto eq = name.find('=');
    const bool inlineValue = eq != std::string::npos;
    if (inlineValue) value = name.substr(eq + 1), name = name.substr(0, eq);
    const Spec* found = nullptr;
    for (const auto& s : specs_)
      if (s.name == name) found = &s;
    if (!found) throw UsageError("unknown option --" + name);
    if (found->isFlag) {
      if (inlineValue) throw UsageError("--" + name + " takes no value");
      values_[name].push_back("1");
      continue;
    }
    if (!inlineValue) {
      if (i + 1 >= arguments.size())
        throw UsageError("--" + name + " needs a value (" + found->valueName + ")");
      value = arguments[++i];
    }
    if (!found->repeated && values_.count(name))
      throw UsageError("--" + name + " given more than once");
    values_[name].push_back(value);
  }
  for (const auto& s : specs_)
    if (s.required && !values_.count(s.name))
      throw UsageError("missing required option --" + s.name);
  if (positional_ && positional_->required && positionals_.empty())
    throw UsageError("missing " + positional_->valueName);
  return true;
}

std::string ArgumentParser::usage() const {
  std::string text = "usage: " + command_;
  for (const auto& s : specs_) {
    std::string part = "--" + s.name + (s.isFlag ? "" : " " + s.valueName);
    text += " " + (s.required ? part : "[" + part + "]") + (s.repeated ? "..." : "");
  }
  if (positional_)
    text += " " +
            (positional_->required ? positional_->valueName : "[" + positional_->valueName + "]") +
            "... (" + positional_->help + ")";
  text += "\n\n" + summary_ + "\n\noptions:\n";
  for (const auto& s : specs_) {
    std::string left = "  --" + s.name + (s.isFlag ? "" : " " + s.valueName);
    if (left.size() < 26)
      left.resize(26, ' ');
    else
      left += "\n" + std::string(26, ' ');
    text += left + s.help;
    if (s.defaultValue) text += " (default: " + *s.defaultValue + ")";
    if (s.required) text += " (required)";
    text += "\n";
  }
  return text + "  --help                  show this help\n";
}

std::string ArgumentParser::get(const std::string& name) const {
  const Spec& s = spec(name);
  const auto it = values_.find(name);
  if (it != values_.end()) return it->second.back();
  if (s.defaultValue) return *s.defaultValue;
  throw UsageError("missing option --" + name);
}

std::vector<std::string> ArgumentParser::all(const std::string& name) const {
  spec(name);
  const auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

bool ArgumentParser::has(const std::string& name) const {
  spec(name);
  return values_.count(name) > 0;
}

long ArgumentParser::getInteger(const std::string& name, long min, long max) const {
  const std::string text = get(name);
  try {
    size_t used = 0;
    const long value = std::stol(text, &used);
    if (used == text.size() && value >= min && value <= max) return value;
  } catch (const std::exception&) {
  }
  throw UsageError("--" + name + " expects an integer in " + std::to_string(min) + ".." +
                   std::to_string(max) + ", got '" + text + "'");
}

double ArgumentParser::getNumber(const std::string& name) const {
  const std::string text = get(name);
  if (const auto value = parseFiniteNumber(text)) return *value;
  throw UsageError("--" + name + " expects a number, got '" + text + "'");
}

bool ArgumentParser::getSwitch(const std::string& name) const {
  const std::string text = get(name);
  if (text != "on" && text != "off")
    throw ValidationError(command_, "--" + name, "expected on or off");
  return text == "on";
}

std::optional<double> parseFiniteNumber(const std::string& text) {
  try {
    size_t used = 0;
    const double value = std::stod(text, &used);
    if (used == text.size() && std::isfinite(value)) return value;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

std::string commandLine(const std::string& command, const std::vector<std::string>& arguments) {
  std::string text = command;
  for (const auto& a : arguments) text += " " + a;
  return text;
}

}  // namespace cfx::cli
