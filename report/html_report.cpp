#include "html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace cfx::report {

std::string escapeHtml(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string base64(const std::vector<unsigned char>& bytes) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const unsigned a = bytes[i], b = i + 1 < bytes.size() ? bytes[i + 1] : 0,
                   c = i + 2 < bytes.size() ? bytes[i + 2] : 0;
    const unsigned triple = (a << 16) | (b << 8) | c;
    out += alphabet[(triple >> 18) & 63];
    out += alphabet[(triple >> 12) & 63];
    out += i + 1 < bytes.size() ? alphabet[(triple >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? alphabet[triple & 63] : '=';
  }
  return out;
}

HtmlReport::HtmlReport(std::string title) : title_(std::move(title)) {}

void HtmlReport::heading(const std::string& text) {
  body_ += "<h2>" + escapeHtml(text) + "</h2>\n";
}

void HtmlReport::paragraph(const std::string& text) {
  body_ += "<p>" + escapeHtml(text) + "</p>\n";
}

void HtmlReport::table(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows) {
  body_ += "<div class=\"wide\"><table><tr>";
  for (const auto& h : header) body_ += "<th>" + escapeHtml(h) + "</th>";
  body_ += "</tr>\n";
  for (const auto& row : rows) {
    body_ += "<tr>";
    for (const auto& cell : row) body_ += "<td>" + escapeHtml(cell) + "</td>";
    body_ += "</tr>\n";
  }
  body_ += "</table></div>\n";
}

void HtmlReport::facts(const std::vector<std::pair<std::string, std::string>>& items) {
  body_ += "<table class=\"facts\">";
  for (const auto& [label, value] : items)
    body_ += "<tr><th>" + escapeHtml(label) + "</th><td>" + escapeHtml(value) + "</td></tr>";
  body_ += "</table>\n";
}

void HtmlReport::image(const std::vector<unsigned char>& png, const std::string& caption) {
  body_ += "<figure><img alt=\"" + escapeHtml(caption) + "\" src=\"data:image/png;base64," +
           base64(png) + "\"><figcaption>" + escapeHtml(caption) + "</figcaption></figure>\n";
}

void HtmlReport::svg(const std::string& markup) {
  body_ += markup + "\n";
}

std::string HtmlReport::html() const {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
         escapeHtml(title_) +
         "</title>\n<meta name=\"viewport\" content=\"width=device-width\">\n"
         "<style>body{font-family:sans-serif;margin:1.5em auto;padding:0 1em;max-width:1300px;"
         "color:#222}.wide{overflow-x:auto;max-width:100%}"
         "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #bbb;padding:3px "
         "8px;text-align:right}th{background:#eee;font-weight:600}td:first-child{text-align:left}"
         "table.facts th,table.facts td{text-align:left;vertical-align:top}"
         "table.facts th{white-space:nowrap}"
         "figure{display:block;margin:1em 0;max-width:100%}"
         "img{image-rendering:pixelated;max-width:100%;height:auto}"
         "figcaption{font-size:small;max-width:60em}.notice{background:#fff3cd;padding:0.5em}"
         "</style></head>"
         "<body>\n<h1>" +
         escapeHtml(title_) +
         "</h1>\n<p class=\"notice\">Synthetic counterfactual images for research; not for "
         "diagnosis.</p>\n" +
         body_ + "</body></html>\n";
}

std::string scatterPlotSvg(const std::vector<double>& x, const std::vector<double>& y,
                           const std::string& title, const std::string& xLabel,
                           const std::string& yLabel) {
  const double width = 320, height = 320, margin = 48;
  double lo = 0, hi = 1;
  if (!x.empty()) {
    lo = std::min(*std::min_element(x.begin(), x.end()), *std::min_element(y.begin(), y.end()));
    hi = std::max(*std::max_element(x.begin(), x.end()), *std::max_element(y.begin(), y.end()));
  }
  const double pad = std::max(1e-9, (hi - lo) * 0.05);
  lo -= pad, hi += pad;
  const auto px = [&](double v) { return margin + (v - lo) / (hi - lo) * (width - 1.5 * margin); };
  const auto py = [&](double v) {
    return height - margin - (v - lo) / (hi - lo) * (height - 1.5 * margin);
  };
  char buffer[256];
  std::string s =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"320\" height=\"320\" "
      "style=\"margin:0.5em;border:1px solid #ddd\">";
  std::snprintf(buffer, sizeof buffer,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" "
                "stroke-dasharray=\"4\"/>",
                px(lo), py(lo), px(hi), py(hi));
  s += buffer;
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
    std::snprintf(buffer, sizeof buffer,
                  "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.2\" fill=\"#1f77b4\" "
                  "fill-opacity=\"0.6\"/>",
                  px(x[i]), py(y[i]));
    s += buffer;
  }
  std::snprintf(buffer, sizeof buffer,
                "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\">%.1f</text><text x=\"%.0f\" "
                "y=\"%.0f\" font-size=\"11\" text-anchor=\"end\">%.1f</text>",
                px(lo), height - margin + 14, lo, px(hi), height - margin + 14, hi);
  s += buffer;
  s += "<text x=\"160\" y=\"16\" font-size=\"13\" text-anchor=\"middle\">" + escapeHtml(title) +
       "</text><text x=\"160\" y=\"312\" font-size=\"11\" text-anchor=\"middle\">" +
       escapeHtml(xLabel) +
       "</text><text x=\"12\" y=\"160\" font-size=\"11\" text-anchor=\"middle\" "
       "transform=\"rotate(-90 12 160)\">" +
       escapeHtml(yLabel) + "</text></svg>";
  return s;
}

}  // namespace cfx::report
