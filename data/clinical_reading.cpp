#include "clinical_reading.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "text_format.h"

namespace cfx::data {
namespace {

// An age with an optional unit: years unless it says months, weeks or days.
double ageValue(const std::string& number, const std::string& unit) {
  const double value = std::stod(number);
  const std::string u = lowerCase(unit);
  if (u.empty() || u[0] == 'y') return value;
  if (u[0] == 'm') return value / 12.0;
  if (u[0] == 'w') return value / 52.1775;
  if (u[0] == 'd') return value / 365.25;
  throw std::invalid_argument("age unit '" + unit + "' is not years, months, weeks or days");
}

}  // namespace

double parseSex(const std::string& word) {
  const std::string w = lowerCase(word);
  if (w == "1") return 1.0;
  if (w == "0") return 0.0;
  if (w == "m" || w == "male") return 1.0;
  if (w == "f" || w == "female") return 0.0;
  throw std::invalid_argument("sex '" + word + "' is neither male/M nor female/F");
}

double parseAge(const std::string& text) {
  static const std::regex ageText(R"(^\s*0*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$)", std::regex::icase);
  std::smatch parts;
  if (!std::regex_match(text, parts, ageText))
    throw std::invalid_argument("age '" + text + "' is not a number of years (e.g. 35, 035Y)");
  return ageValue(parts[1].str(), parts[2].str());
}

std::map<std::string, double> parseClinicalReading(const std::string& text) {
  std::map<std::string, double> result;
  static const std::regex sexLine(R"(patient'?s\s+sex\s*:\s*(\S*))", std::regex::icase);
  static const std::regex ageLine(R"(patient'?s\s+age\s*:\s*(\S*))", std::regex::icase);
  static const std::regex shortStyle(
      R"(^\s*(male|female|m|f)\b[\s,]*(?:(\d+(?:\.\d+)?)\s*([a-z]*))?)", std::regex::icase);
  std::smatch match;
  if (std::regex_search(text, match, sexLine) || std::regex_search(text, match, ageLine)) {
    if (std::regex_search(text, match, sexLine) && !match[1].str().empty() &&
        lowerCase(match[1].str()) != "o")
      result["sex"] = parseSex(match[1].str());
    if (std::regex_search(text, match, ageLine) && !match[1].str().empty())
      result["age"] = parseAge(match[1].str());
    return result;
  }
  std::istringstream lines(text);
  std::string first;
  while (std::getline(lines, first) &&
         std::all_of(first.begin(), first.end(), [](unsigned char c) { return std::isspace(c); })) {
  }
  if (std::regex_search(first, match, shortStyle)) {
    result["sex"] = parseSex(match[1].str());
    if (match[2].matched) result["age"] = ageValue(match[2].str(), match[3].str());
  }
  return result;
}

}  // namespace cfx::data
