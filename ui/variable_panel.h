#pragma once

#include <QStringList>
#include <QWidget>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "causal_graph.h"
#include "intervention.h"
#include "scalar_counterfactual.h"

class QAbstractButton;
class QButtonGroup;
class QLabel;
class QSlider;
class QVBoxLayout;

namespace cfx::ui {

// A slider per continuous variable and a toggle per binary one, each with its unit, the observed
// value, the target, the value measured on the counterfactual and, for descendants, the value
// the SCM gave it. A variable whose target differs from its observation is an intervention.
class VariablePanel : public QWidget {
  Q_OBJECT
 public:
  explicit VariablePanel(QWidget* parent = nullptr);

  void setGraph(const CausalGraph& graph);
  // A new subject: targets go back to the observation unless `keepTargets`.
  void setObservation(const std::map<std::string, double>& observed,
                      const std::map<std::string, double>& measured, bool keepTargets);
  void showResult(const ScalarCounterfactual& scalars,
                  const std::map<std::string, double>& measured);

  std::vector<Intervention> interventions() const;
  QStringList interventionTexts() const;  // e.g. "left_lung_area=12.16 (-20.0 %)"
  // Sets a target as if the user had moved the control (clamped to the variable's range).
  void setTarget(const std::string& name, double value);
  double target(const std::string& name) const;
  // An intervention as `cfx counterfactual --do` takes it ("left_lung_area=-20%", "sex=F"),
  // relative to the observed value and clamped to the range; a bad spec throws ValidationError.
  void applyIntervention(const std::string& spec);

 public Q_SLOTS:
  void resetAll();
  void resetVariable(const std::string& name);

 Q_SIGNALS:
  void interventionsChanged();

 private:
  struct Row {
    Variable variable;
    QSlider* slider = nullptr;           // continuous
    QButtonGroup* categories = nullptr;  // binary and categorical
    QLabel* values = nullptr;
    QLabel* consequence = nullptr;
    double observed = 0.0, target = 0.0, measuredFactual = std::nan("");
    bool haveObservation = false;
  };
  Row* find(const std::string& name);
  const Row* find(const std::string& name) const;
  void showTarget(Row& row);
  void refreshText(Row& row, const std::string& measured, const std::string& consequence);
  int toSlider(const Row& row, double value) const;
  double fromSlider(const Row& row, int position) const;

  std::optional<CausalGraph> graph_;
  QVBoxLayout* layout_ = nullptr;
  std::vector<Row> rows_;
  bool updating_ = false;
};

}  // namespace cfx::ui
