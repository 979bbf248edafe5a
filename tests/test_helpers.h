#pragma once

#include <QString>
#include <QtTest>

#include "trainer.h"
#include "validation_error.h"

// Runs `statement` and checks it throws a `type` whose message contains every fragment, so that
// tests pin down not only that bad input fails but that the message names the problem.
#define CFX_EXPECT_ERROR_OF(type, statement, ...)                             \
  do {                                                                        \
    bool thrown_ = false;                                                     \
    try {                                                                     \
      statement;                                                              \
    } catch (const type& e_) {                                                \
      thrown_ = true;                                                         \
      const QString message_ = QString::fromStdString(e_.what());             \
      for (const char* fragment_ : {__VA_ARGS__})                             \
        QVERIFY2(message_.contains(fragment_),                                \
                 qPrintable("'" + message_ + "' lacks '" + fragment_ + "'")); \
    }                                                                         \
    QVERIFY2(thrown_, "expected a " #type " from " #statement);               \
  } while (false)

#define CFX_EXPECT_ERROR(statement, ...) \
  CFX_EXPECT_ERROR_OF(cfx::ValidationError, statement, __VA_ARGS__)

namespace cfx::test {

// A short training run for tests: brief warm-up, a fast EMA, no validation or checkpoints
// between steps (the final checkpoint is still written).
inline TrainingOptions quickTraining(int64_t steps, double learningRate) {
  TrainingOptions options;
  options.steps = steps;
  options.learningRate = learningRate;
  options.warmupSteps = 5;
  options.emaDecay = 0.5;
  options.validateEvery = 0;
  options.checkpointEvery = 0;
  return options;
}

}  // namespace cfx::test
