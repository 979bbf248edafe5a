#pragma once

#include <map>
#include <string>

namespace cfx::data {

// Sex (0 = F, 1 = M) and age (years) from an NLM clinical-readings text, in either style NLM
// publishes: Shenzhen's first line "male 35yrs" (also "35yr", "35 years", "10 months"), or
// Montgomery's "Patient's Sex: M" and "Patient's Age: 035Y" lines (Y, M, W or D units). What the
// text does not say is absent from the result; a value it states that cannot be read (an age of
// "abc", a sex of "X") throws std::invalid_argument naming it.
std::map<std::string, double> parseClinicalReading(const std::string& text);

// One value as data sets write it: sex "M", "F", "male", "female", "0" (F) or "1" (M); age in
// years, optionally with a unit ("35", "035Y", "35yrs", "10 months", "6 weeks"). Throw
// std::invalid_argument naming the text.
double parseSex(const std::string& text);
double parseAge(const std::string& text);

}  // namespace cfx::data
