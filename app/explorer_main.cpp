// cfx-explorer: the desktop counterfactual explorer.
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QMessageBox>
#include <QTimer>
#include <cstring>
#include <iostream>
#include <memory>

#include "device.h"
#include "main_window.h"
#include "memory_allocator.h"
#include "precision.h"
#include "thread_budget.h"
#include "variable_panel.h"

namespace {

// The bundled real-data model: $CFX_MODEL_DIR, then the installed share folder, then the source
// tree (models/phantom is the phantom benchmark's model: --model to use it).
QString defaultModelDir() {
  const QString fromEnvironment = qEnvironmentVariable("CFX_MODEL_DIR");
  if (!fromEnvironment.isEmpty()) return fromEnvironment;
  const QDir exe(QCoreApplication::applicationDirPath());
  for (const QString& candidate :
       {exe.filePath("../share/cfx/models/cxr"), QString(CFX_SOURCE_DIR "/models/cxr")})
    if (QFileInfo::exists(candidate + "/model.json")) return QDir::cleanPath(candidate);
  return {};
}

// True when Qt has somewhere to draw: an X or Wayland display, or a platform chosen explicitly
// (QT_QPA_PLATFORM=offscreen for scripts and tests).
bool hasDisplay() {
  for (const char* name : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"})
    if (!qEnvironmentVariableIsEmpty(name)) return true;
  return false;
}

bool asksForHelp(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    for (const char* flag : {"-h", "--help", "--help-all", "-v", "--version"})
      if (std::strcmp(argv[i], flag) == 0) return true;
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  cfx::io::keepTensorMemoryInProcess();
  // --help needs no display: Qt's GUI application would abort without one before printing it.
  std::unique_ptr<QCoreApplication> app;
  if (asksForHelp(argc, argv) && !hasDisplay()) {
    app = std::make_unique<QCoreApplication>(argc, argv);
  } else if (!hasDisplay()) {
    std::cerr << "cfx-explorer: no display (DISPLAY is not set): run it in a desktop session, or "
                 "with QT_QPA_PLATFORM=offscreen for scripted use (--screenshot)\n";
    return 2;
  } else {
    app = std::make_unique<QApplication>(argc, argv);
  }
  QCoreApplication::setOrganizationName("cfx");
  QCoreApplication::setApplicationName("cfx-explorer");
  QCommandLineParser parser;
  parser.setApplicationDescription(
      "Counterfactual explorer for chest radiographs: open a DICOM or PNG, move the sliders, "
      "export the counterfactual. Synthetic images, not for diagnosis.");
  parser.addHelpOption();
  parser.addPositionalArgument("path", "a radiograph (DICOM or PNG) or a folder of studies");
  QCommandLineOption model("model", "model folder (default: the bundled model)", "DIR");
  QCommandLineOption device("device", "cpu, cuda, cuda:N or auto (default auto)", "DEVICE", "auto");
  QCommandLineOption threads(
      "threads", "CPU threads for the engine, or auto: the cores no other process is busy on",
      "T|auto", "auto");
  QCommandLineOption precision(
      "precision",
      "fp32, bf16 (convolutions in bf16; 0.3 grey levels from fp32 on average) or auto",
      "fp32|bf16|auto", "fp32");
  QCommandLineOption screenshot(
      "screenshot", "after the first counterfactual, save the window to FILE and quit", "FILE");
  QCommandLineOption intervene("do", "initial intervention VAR=VALUE (repeatable)", "VAR=VALUE");
  parser.addOptions({model, device, threads, precision, screenshot, intervene});
  parser.process(*app);

  cfx::ui::ExplorerOptions options;
  options.modelDir = parser.isSet(model) ? parser.value(model) : defaultModelDir();
  try {
    options.engine.device = cfx::resolveDevice(parser.value(device).toStdString());
    options.engine.precision =
        cfx::parsePrecision(parser.value(precision).toStdString(), options.engine.device);
    options.threads = cfx::io::parseThreadCount(parser.value(threads).toStdString().c_str());
  } catch (const std::exception& e) {
    std::cerr << "cfx-explorer: " << e.what() << "\n";
    return 2;
  }
  if (options.modelDir.isEmpty())
    std::cerr << "cfx-explorer: no bundled model found; load one from the File menu\n";

  cfx::ui::MainWindow window(options);
  window.show();
  if (!parser.positionalArguments().isEmpty())
    window.openPath(parser.positionalArguments().first());
  if (parser.isSet(screenshot)) {
    const QString file = parser.value(screenshot);
    const QStringList interventions = parser.values(intervene);
    bool intervened = interventions.isEmpty();
    QObject::connect(&window, &cfx::ui::MainWindow::counterfactualShown, &window, [&] {
      if (!intervened) {
        intervened = true;
        try {
          for (const QString& spec : interventions)
            window.panel()->applyIntervention(spec.toStdString());
        } catch (const std::exception& e) {
          std::cerr << "cfx-explorer: " << e.what() << "\n";
          QApplication::exit(2);
        }
        return;
      }
      QTimer::singleShot(300, &window, [&window, file] {
        window.grab().save(file);
        QApplication::quit();
      });
    });
    QObject::connect(&window, &cfx::ui::MainWindow::errorShown, app.get(), [](const QString& m) {
      std::cerr << "cfx-explorer: " << m.toStdString() << "\n";
      QApplication::exit(1);
    });
  }
  return app->exec();
}
