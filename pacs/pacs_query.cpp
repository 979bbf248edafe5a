#include "pacs_query.h"

#include <cctype>

#include "validation_error.h"

namespace cfx::pacs {
namespace {

bool isDate(const std::string& text) {
  if (text.size() != 8) return false;
  for (const char c : text)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  const int month = std::stoi(text.substr(4, 2)), day = std::stoi(text.substr(6, 2));
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

void checkText(const std::string& value, const char* field, size_t maxLength) {
  if (value.size() > maxLength)
    throw ValidationError("query", field,
                          "longer than " + std::to_string(maxLength) + " characters");
  for (const char c : value)
    if (c == '\\' || (static_cast<unsigned char>(c) < 0x20))
      throw ValidationError("query", field,
                            "'" + value + "' holds a backslash or a control character");
}

}  // namespace

void validate(const StudyQuery& query) {
  checkText(query.patientName, "patient name", 64 * 5);
  checkText(query.patientId, "patient ID", 64);
  checkText(query.accessionNumber, "accession number", 16);
  for (const auto& [value, field] :
       {std::pair{query.dateFrom, "date from"}, std::pair{query.dateTo, "date to"}})
    if (!value.empty() && !isDate(value))
      throw ValidationError("query", field, "expected YYYYMMDD, got '" + value + "'");
  if (!query.dateFrom.empty() && !query.dateTo.empty() && query.dateFrom > query.dateTo)
    throw ValidationError("query", "date from",
                          query.dateFrom + " is after the end date " + query.dateTo);
  for (const auto& modality : query.modalities) {
    bool code = !modality.empty() && modality.size() <= 16;
    for (const char c : modality)
      code = code && (std::isupper(static_cast<unsigned char>(c)) ||
                      std::isdigit(static_cast<unsigned char>(c)) || c == '_');
    if (!code)
      throw ValidationError(
          "query", "modality",
          "expected a DICOM modality code such as CR or DX, got '" + modality + "'");
  }
}

}  // namespace cfx::pacs
