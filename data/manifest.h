#pragma once

#include <map>
#include <string>
#include <vector>

#include "causal_graph.h"

namespace cfx::data {

// manifest.csv: one row per image. Columns: id, image, split (train, val or test), optional mask,
// and one column per variable of the causal graph. Paths are relative to the manifest's folder.
// An empty variable cell means unknown for that image (a radiograph without sex and age, or a
// structure its mask does not label): the label map of a row labels exactly the structures whose
// area cell is filled, so "which structures does this mask label" needs no column of its own.
struct ManifestRow {
  int line = 0;  // 1-based line in the file, for messages
  std::string id;
  std::string image;  // absolute path
  std::string mask;   // absolute path, or empty when the row has no mask
  std::string split;
  std::map<std::string, double> attributes;  // known values only; a missing name is unknown
};

struct Manifest {
  std::string path;
  std::vector<ManifestRow> rows;

  // Rows of one split; "all" gives every row (e.g. a test set generated with its own seed).
  std::vector<const ManifestRow*> split(const std::string& name) const;
};

// Reads and checks every row; all problems are collected and reported together, each with its
// line number (nothing is skipped silently). Binary variables accept their category names.
Manifest readManifest(const std::string& path, const CausalGraph& graph);

// Writes rows with paths relative to the manifest's folder; atomic. `graph` gives the column order.
void writeManifest(const std::string& path, const std::vector<ManifestRow>& rows,
                   const CausalGraph& graph);

}  // namespace cfx::data
