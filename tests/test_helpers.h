#pragma once

#include <QString>
#include <QtTest>

#include "validation_error.h"

// Runs `f` and checks it throws a cfx::ValidationError whose message contains every fragment, so
// that tests pin down not only that bad input fails but that the message names the problem.
#define CFX_EXPECT_ERROR(statement, ...)                                      \
  do {                                                                        \
    bool thrown_ = false;                                                     \
    try {                                                                     \
      statement;                                                              \
    } catch (const cfx::ValidationError& e_) {                                \
      thrown_ = true;                                                         \
      const QString message_ = QString::fromStdString(e_.what());             \
      for (const char* fragment_ : {__VA_ARGS__})                             \
        QVERIFY2(message_.contains(fragment_),                                \
                 qPrintable("'" + message_ + "' lacks '" + fragment_ + "'")); \
    }                                                                         \
    QVERIFY2(thrown_, "expected a ValidationError from " #statement);         \
  } while (false)
