#pragma once

#include <string>

#include "radiograph.h"

namespace cfx::io {

// Reads a single-frame grayscale DICOM image: rescale slope/intercept applied, the first VOI
// window used when present (else the full range), MONOCHROME1 inverted, compressed transfer
// syntaxes decoded with DCMTK's JPEG, JPEG-LS and RLE codecs. Multi-frame and colour images,
// and anything unreadable, throw an IoError that says why.
Radiograph readDicom(const std::string& path);

// What a written DICOM says about itself.
struct DicomWriteOptions {
  std::string seriesDescription;      // e.g. "SYNTHETIC COUNTERFACTUAL - NOT FOR DIAGNOSIS"
  std::string derivationDescription;  // how the pixels were made (the intervention, the model)
  bool derivedFromSource = true;      // ImageType DERIVED\SECONDARY and a SourceImageSequence
  int seriesNumber = 999;
  // False for a real radiograph converted to DICOM (ConversionType WSD, no synthetic notice);
  // every image the engine makes is synthetic.
  bool synthetic = true;
};

// Writes a Secondary Capture image, marked synthetic unless options.synthetic is false
// (ConversionType SYN, BurnedInAnnotation NO, ImageComments) with new Series and SOP Instance UIDs.
// Patient and Study are the source's when metadata.dicom is set (so the result files beside its
// source), otherwise a new Study is made. 16-bit MONOCHROME2. Atomic: the file appears complete or
// not at all.
void writeDicom(const std::string& path, const GrayImage& image, const RadiographMetadata& metadata,
                const DicomWriteOptions& options);

// Registers DCMTK's decoders (JPEG, JPEG-LS, RLE) and quiets its logging, once per process; every
// reader and the network layer call it before touching DICOM.
void prepareDicomCodecs();

// True when the file starts like DICOM Part 10 ("DICM" at byte 128).
bool looksLikeDicom(const std::string& path);

}  // namespace cfx::io
