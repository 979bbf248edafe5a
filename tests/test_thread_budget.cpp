#include <ATen/Parallel.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <QtTest>
#include <stdexcept>
#include <thread>
#include <vector>

#include "thread_budget.h"

using namespace cfx;

namespace {

// Another process with `threads` threads that never sleep, until the returned pid is killed.
pid_t spinElsewhere(int threads) {
  const pid_t child = fork();
  if (child == 0) {
    std::vector<std::thread> spinners;
    for (int t = 1; t < threads; ++t)
      spinners.emplace_back([] {
        for (volatile unsigned long i = 0;; i = i + 1) {
        }
      });
    for (volatile unsigned long i = 0;; i = i + 1) {
    }
  }
  return child;
}

void stop(pid_t child) {
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
}

}  // namespace

class TestThreadBudget : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void parsesTheOption() {
    QCOMPARE(io::parseThreadCount("auto"), 0);
    QCOMPARE(io::parseThreadCount("3"), 3);
    for (const char* bad : {"0", "-1", "two", "2x", "", "257"})
      QVERIFY_THROWS_EXCEPTION(std::invalid_argument, io::parseThreadCount(bad));
  }

  void aFixedCountIsApplied() {
    QCOMPARE(io::ThreadBudget(3, 8).apply(), 3);
    QCOMPARE(at::get_num_threads(), 3);
    QCOMPARE(io::ThreadBudget(1, 8).apply(), 1);
    QCOMPARE(at::get_num_threads(), 1);
  }

  // Busy threads of another process count as load; this process's own do not. With as many busy
  // threads elsewhere as the budget's cores, a job gets one thread (never none).
  void adaptsToBusyThreadsElsewhere() {
    const int ownSpinners = 2;
    std::atomic<bool> running{true};
    std::vector<std::thread> own;
    for (int t = 0; t < ownSpinners; ++t)
      own.emplace_back([&] {
        while (running.load()) {
        }
      });
    const int before = io::runnableThreadsElsewhere();
    const pid_t child = spinElsewhere(3);
    QTest::qWait(300);  // the child's threads start
    int during = 0, threads = 0;
    for (int i = 0; i < 5; ++i) {  // the kernel's count is an instant: take the largest of a few
      during = std::max(during, io::runnableThreadsElsewhere());
      threads = std::max(threads, io::ThreadBudget(0, 3).apply());
      QTest::qWait(20);
    }
    stop(child);
    running = false;
    for (auto& t : own) t.join();
    QVERIFY2(before >= 0, "no /proc/stat");
    QVERIFY2(during >= 3, qPrintable(QString("%1 busy elsewhere").arg(during)));
    QCOMPARE(threads, 1);
  }
};

QTEST_GUILESS_MAIN(TestThreadBudget)
#include "test_thread_budget.moc"
