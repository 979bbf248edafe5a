#include "variable_panel.h"

#include <QButtonGroup>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QRadioButton>
#include <QSlider>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "validation_error.h"

namespace cfx::ui {

namespace {

constexpr int kSliderSteps = 1000;

bool differs(double a, double b) {
  return std::abs(a - b) > 1e-9;
}

QString number(double value, const Variable& v) {
  if (v.kind != VariableKind::Continuous) {
    const size_t index = size_t(std::lround(value));
    return index < v.categories.size() ? QString::fromStdString(v.categories[index])
                                       : QString::number(value);
  }
  return QString::number(value, 'f', v.unit == "years" ? 1 : 2) +
         (v.unit.empty() ? "" : " " + QString::fromStdString(v.unit));
}

}  // namespace

VariablePanel::VariablePanel(QWidget* parent) : QWidget(parent) {
  layout_ = new QVBoxLayout(this);
  layout_->addStretch(1);
}

VariablePanel::Row* VariablePanel::find(const std::string& name) {
  for (auto& r : rows_)
    if (r.variable.name == name) return &r;
  return nullptr;
}

const VariablePanel::Row* VariablePanel::find(const std::string& name) const {
  for (const auto& r : rows_)
    if (r.variable.name == name) return &r;
  return nullptr;
}

int VariablePanel::toSlider(const Row& row, double value) const {
  const auto& v = row.variable;
  return int(std::lround((value - v.min) / (v.max - v.min) * kSliderSteps));
}

double VariablePanel::fromSlider(const Row& row, int position) const {
  const auto& v = row.variable;
  return v.min + (v.max - v.min) * double(position) / kSliderSteps;
}

void VariablePanel::setGraph(const CausalGraph& graph) {
  while (QLayoutItem* item = layout_->takeAt(0)) {
    delete item->widget();
    delete item;
  }
  rows_.clear();
  graph_ = graph;
  rows_.reserve(graph.variables().size());
  for (const Variable& v : graph.variables()) {
    rows_.push_back(Row{v});
    Row& row = rows_.back();
    const std::string name = v.name;
    QString title = QString::fromStdString(v.name).replace('_', ' ');
    if (!v.unit.empty()) title += " (" + QString::fromStdString(v.unit) + ")";
    auto* box = new QGroupBox(title, this);
    box->setObjectName(QString::fromStdString("variable:" + name));
    auto* boxLayout = new QVBoxLayout(box);
    auto* controls = new QHBoxLayout();
    if (v.kind == VariableKind::Continuous) {
      row.slider = new QSlider(Qt::Horizontal, box);
      row.slider->setObjectName(QString::fromStdString("slider:" + name));
      row.slider->setRange(0, kSliderSteps);
      row.slider->setEnabled(false);
      row.slider->setToolTip(QString("%1 to %2").arg(number(v.min, v)).arg(number(v.max, v)));
      controls->addWidget(row.slider, 1);
      connect(row.slider, &QSlider::valueChanged, this, [this, name](int position) {
        if (updating_) return;
        Row* r = find(name);
        r->target = fromSlider(*r, position);
        showTarget(*r);
        Q_EMIT interventionsChanged();
      });
    } else {
      row.categories = new QButtonGroup(box);
      for (size_t c = 0; c < v.categories.size(); ++c) {
        auto* button = new QRadioButton(QString::fromStdString(v.categories[c]), box);
        button->setObjectName(QString::fromStdString("category:" + name + "=" + v.categories[c]));
        button->setEnabled(false);
        row.categories->addButton(button, int(c));
        controls->addWidget(button);
      }
      controls->addStretch(1);
      connect(row.categories, &QButtonGroup::idClicked, this, [this, name](int id) {
        if (updating_) return;
        Row* r = find(name);
        r->target = double(id);
        showTarget(*r);
        Q_EMIT interventionsChanged();
      });
    }
    auto* reset = new QToolButton(box);
    reset->setText("Reset");
    reset->setObjectName(QString::fromStdString("reset:" + name));
    reset->setToolTip("Back to the observed value");
    connect(reset, &QToolButton::clicked, this, [this, name] { resetVariable(name); });
    controls->addWidget(reset);
    boxLayout->addLayout(controls);
    row.values = new QLabel(box);
    row.values->setObjectName(QString::fromStdString("values:" + name));
    row.values->setTextFormat(Qt::RichText);
    row.values->setWordWrap(true);
    row.consequence = new QLabel(box);
    row.consequence->setObjectName(QString::fromStdString("consequence:" + name));
    row.consequence->setStyleSheet("color: #b35900");
    row.consequence->setWordWrap(true);
    boxLayout->addWidget(row.values);
    boxLayout->addWidget(row.consequence);
    layout_->addWidget(box);
  }
  layout_->addStretch(1);
}

void VariablePanel::setObservation(const std::map<std::string, double>& observed,
                                   const std::map<std::string, double>& measured,
                                   bool keepTargets) {
  for (Row& row : rows_) {
    const auto it = observed.find(row.variable.name);
    if (it == observed.end()) continue;
    const bool hadTarget = row.haveObservation && differs(row.target, row.observed);
    row.observed = it->second;
    if (!keepTargets || !hadTarget) row.target = row.observed;
    row.haveObservation = true;
    const auto m = measured.find(row.variable.name);
    row.measuredFactual = m == measured.end() ? std::nan("") : m->second;
    if (row.slider) row.slider->setEnabled(true);
    if (row.categories)
      for (auto* b : row.categories->buttons()) b->setEnabled(true);
    showTarget(row);
    refreshText(row, "", "");
  }
}

void VariablePanel::showTarget(Row& row) {
  updating_ = true;
  if (row.slider) row.slider->setValue(toSlider(row, row.target));
  if (row.categories) {
    auto* button = row.categories->button(int(std::lround(row.target)));
    if (button) button->setChecked(true);
  }
  updating_ = false;
  refreshText(row, "", "");
}

void VariablePanel::refreshText(Row& row, const std::string& measured,
                                const std::string& consequence) {
  const Variable& v = row.variable;
  QString text = "observed <b>" + number(row.observed, v) + "</b>";
  if (differs(row.target, row.observed)) {
    text += " &rarr; target <b>" + number(row.target, v) + "</b>";
    if (v.kind == VariableKind::Continuous && row.observed != 0)
      text += QString(" (%1%2 %)")
                  .arg(row.target >= row.observed ? "+" : "")
                  .arg(100.0 * (row.target / row.observed - 1), 0, 'f', 1);
  }
  if (!measured.empty()) text += "<br>" + QString::fromStdString(measured);
  row.values->setText(text);
  row.consequence->setText(QString::fromStdString(consequence));
}

void VariablePanel::showResult(const ScalarCounterfactual& scalars,
                               const std::map<std::string, double>& measured) {
  for (Row& row : rows_) {
    const Variable& v = row.variable;
    std::string measuredText, consequence;
    const auto m = measured.find(v.name);
    if (m != measured.end())
      measuredText =
          "measured on the counterfactual " + number(m->second, v).toStdString() +
          (std::isnan(row.measuredFactual)
               ? ""
               : " (on the original " + number(row.measuredFactual, v).toStdString() + ")");
    if (std::find(scalars.changedThroughScm.begin(), scalars.changedThroughScm.end(), v.name) !=
        scalars.changedThroughScm.end())
      consequence = "changed through the SCM to " +
                    number(scalars.counterfactual.at(v.name), v).toStdString();
    refreshText(row, measuredText, consequence);
  }
}

std::vector<Intervention> VariablePanel::interventions() const {
  std::vector<Intervention> result;
  for (const Row& row : rows_)
    if (row.haveObservation && differs(row.target, row.observed))
      result.push_back(Intervention{row.variable.name, row.target, false});
  return result;
}

QStringList VariablePanel::interventionTexts() const {
  QStringList texts;
  for (const Row& row : rows_)
    if (row.haveObservation && differs(row.target, row.observed))
      texts << QString::fromStdString(row.variable.name) + "=" +
                   (row.variable.kind == VariableKind::Continuous
                        ? QString::number(row.target, 'f', 2)
                        : number(row.target, row.variable));
  return texts;
}

void VariablePanel::setTarget(const std::string& name, double value) {
  Row* row = find(name);
  if (!row) return;
  row->target = std::clamp(value, row->variable.min, row->variable.max);
  showTarget(*row);
  Q_EMIT interventionsChanged();
}

void VariablePanel::applyIntervention(const std::string& spec) {
  if (!graph_) throw ValidationError("intervention " + spec, "model", "no model is loaded");
  const Intervention intervention = parseIntervention(spec, *graph_);
  const Row* row = find(intervention.variable);
  setTarget(
      intervention.variable,
      resolveIntervention(intervention, row->observed, *graph_, OutOfRangePolicy::Clamp).value);
}

double VariablePanel::target(const std::string& name) const {
  const Row* row = find(name);
  return row ? row->target : std::nan("");
}

void VariablePanel::resetVariable(const std::string& name) {
  Row* row = find(name);
  if (!row || !differs(row->target, row->observed)) return;
  row->target = row->observed;
  showTarget(*row);
  Q_EMIT interventionsChanged();
}

void VariablePanel::resetAll() {
  bool changed = false;
  for (Row& row : rows_)
    if (differs(row.target, row.observed)) {
      row.target = row.observed;
      showTarget(row);
      changed = true;
    }
  if (changed) Q_EMIT interventionsChanged();
}

}  // namespace cfx::ui
