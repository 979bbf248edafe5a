#pragma once

#include <string>
#include <utility>
#include <vector>

namespace cfx::report {

// One self-contained HTML page: styles inline, images embedded as data URIs, plots as inline
// SVG, so that it opens offline and can be mailed as one file.
class HtmlReport {
 public:
  explicit HtmlReport(std::string title);

  void heading(const std::string& text);
  void paragraph(const std::string& text);
  // A short list of labelled facts (what was evaluated, how the model was made).
  void facts(const std::vector<std::pair<std::string, std::string>>& items);
  // A table; cells are text (escaped). A table wider than the page scrolls on its own.
  void table(const std::vector<std::string>& header,
             const std::vector<std::vector<std::string>>& rows);
  // A PNG (file bytes) with a caption.
  void image(const std::vector<unsigned char>& png, const std::string& caption);
  // Raw SVG markup produced by this module (not escaped).
  void svg(const std::string& markup);

  std::string html() const;

 private:
  std::string title_;
  std::string body_;
};

// HTML escaping of text.
std::string escapeHtml(const std::string& text);
// Standard base64 (RFC 4648) with padding.
std::string base64(const std::vector<unsigned char>& bytes);

// A scatter plot of (x, y) points with the identity line, axes and labels, as SVG markup.
std::string scatterPlotSvg(const std::vector<double>& x, const std::vector<double>& y,
                           const std::string& title, const std::string& xLabel,
                           const std::string& yLabel);

}  // namespace cfx::report
