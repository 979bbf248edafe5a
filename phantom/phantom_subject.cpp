#include "phantom_subject.h"

#include "anatomy.h"
#include "radiograph_renderer.h"
#include "structure_masks.h"
#include "validation_error.h"

namespace cfx::phantom {

RenderedSubject renderSubject(const PhantomScm& scm, const Exogenous& noise, int size,
                              const std::map<std::string, double>& interventions) {
  if (size < 16 || size > 4096)
    throw ValidationError("phantom", "size", "expected 16..4096 pixels");
  RenderedSubject subject;
  subject.attributes = scm.evaluate(noise, interventions);
  const Anatomy anatomy =
      makeAnatomy(noise.imageSeed, subject.attributes.sex, subject.attributes.age);
  const auto centres = pixelCentresInTemplate(anatomy.frame, size);
  subject.labels = solveStructureMasks(anatomy, subject.attributes, centres, size).labels;
  subject.image = renderRadiograph(anatomy, subject.labels, centres);
  subject.blurRadius = blurRadiusPixels(anatomy, size);
  return subject;
}

}  // namespace cfx::phantom
