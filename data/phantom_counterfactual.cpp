#include "phantom_counterfactual.h"

#include <filesystem>

#include "dicom_io.h"
#include "png_io.h"
#include "validation_error.h"

namespace cfx::data {

PhantomCounterfactual renderPhantomCounterfactual(const PhantomDataset& data, const std::string& id,
                                                  const std::vector<std::string>& specs,
                                                  OutOfRangePolicy policy) {
  const auto found = data.noise.find(id);
  if (found == data.noise.end())
    throw ValidationError(data.dir + "/exogenous.bin", "id", "no subject '" + id + "'");
  const phantom::PhantomScm scm(data.coefficients);
  PhantomCounterfactual result;
  result.factual = scm.evaluate(found->second);
  for (const std::string& spec : specs) {
    const auto parsed = parseIntervention(spec, data.graph);
    const auto resolved =
        resolveIntervention(parsed, result.factual.get(parsed.variable), data.graph, policy);
    if (!resolved.note.empty()) result.notes.push_back(resolved.note);
    result.intervened[resolved.variable] = resolved.value;
  }
  result.subject = phantom::renderSubject(scm, found->second, data.size, result.intervened);
  return result;
}

void writePhantomCounterfactual(const PhantomCounterfactual& counterfactual, const std::string& id,
                                const std::vector<std::string>& specs, const std::string& out,
                                const std::string& maskOut) {
  const std::string extension = std::filesystem::path(out).extension().string();
  if (extension != ".png" && extension != ".dcm")
    throw ValidationError("cfx phantom counterfactual", "--out",
                          "expected a .png or .dcm file name, got '" + out + "'");
  const auto& subject = counterfactual.subject;
  if (extension == ".png") {
    io::writeGrayPng(out, subject.image, 16);
  } else {
    const auto meta = phantomMetadata(id, subject.attributes);
    std::string what;
    for (const auto& spec : specs) what += (what.empty() ? "" : ", ") + spec;
    io::writeDicom(out, subject.image, meta,
                   {"SYNTHETIC TRUE COUNTERFACTUAL - NOT FOR DIAGNOSIS",
                    "phantom true counterfactual do(" + what + ")", false, 2});
  }
  if (!maskOut.empty()) io::writeLabelPng(maskOut, subject.labels);
}

}  // namespace cfx::data
