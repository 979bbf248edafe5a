#include <QtTest>

#include "causal_graph.h"
#include "intervention.h"
#include "validation_error.h"

using cfx::CausalGraph;

namespace {

nlohmann::json chestGraph() {
  return nlohmann::json::parse(R"({
    "format": "cfx-graph", "version": 1,
    "variables": [
      {"name": "left_lung_area", "kind": "continuous", "unit": "%", "range": [8, 24],
       "parents": ["sex", "age", "heart_area"], "mask_label": 2},
      {"name": "heart_area", "kind": "continuous", "unit": "%", "range": [4, 16], "parents": ["sex", "age"],
       "mask_label": 3},
      {"name": "sex", "kind": "binary", "range": [0, 1], "parents": [], "categories": ["F", "M"]},
      {"name": "age", "kind": "continuous", "unit": "years", "range": [18, 95], "parents": []}
    ]})");
}

// Expects a ValidationError whose message contains every fragment.
template <typename F>
void expectError(F&& f, std::initializer_list<const char*> fragments) {
  try {
    f();
  } catch (const cfx::ValidationError& e) {
    const QString message = QString::fromStdString(e.what());
    for (const char* fragment : fragments)
      QVERIFY2(message.contains(fragment),
               qPrintable("'" + message + "' lacks '" + fragment + "'"));
    return;
  }
  QFAIL("expected a ValidationError");
}

}  // namespace

class TestCausalGraph : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void topologicalOrderPutsParentsFirst() {
    const auto graph = CausalGraph::fromJson(chestGraph(), "g.json");
    std::vector<std::string> order;
    for (size_t i : graph.topologicalOrder()) order.push_back(graph.variables()[i].name);
    QCOMPARE(order.size(), size_t(4));
    auto position = [&](const char* n) {
      return std::find(order.begin(), order.end(), n) - order.begin();
    };
    QVERIFY(position("sex") < position("heart_area"));
    QVERIFY(position("age") < position("heart_area"));
    QVERIFY(position("heart_area") < position("left_lung_area"));
    QVERIFY(graph.dependsOn("left_lung_area", "sex"));
    QVERIFY(!graph.dependsOn("heart_area", "left_lung_area"));
  }

  void jsonRoundTrip() {
    const auto graph = CausalGraph::fromJson(chestGraph(), "g.json");
    const auto again = CausalGraph::fromJson(graph.toJson(), "again");
    QCOMPARE(again.toJson().dump(), graph.toJson().dump());
    QCOMPARE(*again.variable("heart_area").maskLabel, 3);
    QCOMPARE(again.variable("sex").categories.at(1), std::string("M"));
  }

  void rejectsUnknownParent() {
    auto j = chestGraph();
    j["variables"][1]["parents"] = {"sex", "weight"};
    expectError([&] { CausalGraph::fromJson(j, "g.json"); },
                {"g.json", "heart_area", "unknown parent 'weight'"});
  }

  void rejectsCycle() {
    auto j = chestGraph();
    j["variables"][1]["parents"] = {"left_lung_area"};
    expectError([&] { CausalGraph::fromJson(j, "g.json"); }, {"g.json", "cycle"});
  }

  void rejectsDuplicateName() {
    auto j = chestGraph();
    j["variables"][3]["name"] = "sex";
    expectError([&] { CausalGraph::fromJson(j, "g.json"); }, {"variable 'sex'", "duplicate"});
  }

  void rejectsBadRange() {
    auto j = chestGraph();
    j["variables"][3]["range"] = {95, 18};
    expectError([&] { CausalGraph::fromJson(j, "g.json"); }, {"'age' range", "min < max"});
  }

  void rejectsWrongVersionAndMissingField() {
    auto j = chestGraph();
    j["version"] = 7;
    expectError([&] { CausalGraph::fromJson(j, "g.json"); },
                {"g.json", "version", "expected 1, got 7"});
    auto k = chestGraph();
    k["variables"][0].erase("kind");
    expectError([&] { CausalGraph::fromJson(k, "g.json"); },
                {"variables[0] (left_lung_area).kind", "missing"});
  }

  void parsesInterventions() {
    const auto graph = CausalGraph::fromJson(chestGraph(), "g.json");
    const auto relative = cfx::parseIntervention("left_lung_area=-20%", graph);
    QVERIFY(relative.relative);
    QCOMPARE(relative.amount, -0.2);
    const auto resolved =
        cfx::resolveIntervention(relative, 15.0, graph, cfx::OutOfRangePolicy::Reject);
    QCOMPARE(resolved.value, 12.0);
    QCOMPARE(cfx::parseIntervention("sex=F", graph).amount, 0.0);
    QCOMPARE(cfx::parseIntervention("sex=M", graph).amount, 1.0);
    QCOMPARE(cfx::parseIntervention("age=63", graph).amount, 63.0);
  }

  void rejectsBadInterventions() {
    const auto graph = CausalGraph::fromJson(chestGraph(), "g.json");
    expectError([&] { cfx::parseIntervention("weight=3", graph); }, {"unknown", "age"});
    expectError([&] { cfx::parseIntervention("sex=+10%", graph); }, {"continuous"});
    expectError([&] { cfx::parseIntervention("age", graph); }, {"VARIABLE=VALUE"});
    expectError([&] { cfx::parseIntervention("sex=X", graph); }, {"F", "M"});
  }

  void relativeChangeTargets() {
    const auto graph = CausalGraph::fromJson(chestGraph(), "g.json");
    const auto& heart = graph.variable("heart_area");
    const auto& age = graph.variable("age");
    QCOMPARE(cfx::relativeChangeTarget(heart, 10.0, -0.2), 8.0);  // a structure scales
    QCOMPARE(cfx::relativeChangeTarget(heart, 10.0, 0.25), 12.5);
    QCOMPARE(cfx::relativeChangeTarget(heart, 14.0, 0.3), 16.0);  // clamped to the range
    // Age moves by a share of its 77-year range, not of the observed age.
    QCOMPARE(cfx::relativeChangeTarget(age, 40.0, 0.1), 47.7);
    QCOMPARE(cfx::relativeChangeTarget(age, 20.0, -0.2), 18.0);
  }

  void rangePolicy() {
    const auto graph = CausalGraph::fromJson(chestGraph(), "g.json");
    const auto doubled = cfx::parseIntervention("heart_area=+100%", graph);
    expectError(
        [&] { cfx::resolveIntervention(doubled, 10.0, graph, cfx::OutOfRangePolicy::Reject); },
        {"20", "outside the supported range [4, 16]"});
    const auto clamped =
        cfx::resolveIntervention(doubled, 10.0, graph, cfx::OutOfRangePolicy::Clamp);
    QCOMPARE(clamped.value, 16.0);
    QVERIFY(!clamped.note.empty());
  }
};

QTEST_APPLESS_MAIN(TestCausalGraph)
#include "test_causal_graph.moc"
