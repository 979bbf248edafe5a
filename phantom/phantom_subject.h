#pragma once

#include <map>
#include <string>

#include "image_buffer.h"
#include "phantom_scm.h"

namespace cfx::phantom {

struct RenderedSubject {
  Attributes attributes;
  GrayImage image;
  LabelMap labels;
  int blurRadius = 0;  // pixels; see blurRadiusPixels()
};

// Runs the SCM on the stored noise (with the interventions, if any) and renders the image. With
// no intervention this is the factual subject; with some, the true counterfactual: no abduction
// is needed because the noise is known.
RenderedSubject renderSubject(const PhantomScm& scm, const Exogenous& noise, int size,
                              const std::map<std::string, double>& interventions = {});

}  // namespace cfx::phantom
