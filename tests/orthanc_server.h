#pragma once

// A real PACS for the tests: Orthanc (Debian's `orthanc` package) started on free localhost ports
// with a temporary configuration and storage, stopped (and its files removed) when the object
// goes. It knows one modality, our AE title with the port our C-MOVE receiver uses.
#include <signal.h>

#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QThread>
#include <stdexcept>

#include "pacs_node.h"

namespace cfx::test {

class OrthancServer {
 public:
  static constexpr const char* kAeTitle = "ORTHANC";
  static constexpr const char* kOurAeTitle = "CFXTEST";

  // The Orthanc executable, or empty when it is not installed.
  static QString executable() {
    return QStandardPaths::findExecutable("Orthanc", {"/usr/sbin", "/usr/bin", "/usr/local/sbin"});
  }

  // A TCP port nothing listens on now.
  static int freePort() {
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0)) throw std::runtime_error("no free port");
    return probe.serverPort();
  }

  // With `tls`, the server speaks DICOM over TLS only, with a self-signed certificate (made here
  // with openssl) that it also trusts for its clients: tlsNode() uses the same pair.
  explicit OrthancServer(bool tls = false)
      : dicomPort_(freePort()), httpPort_(freePort()), receivePort_(freePort()) {
    if (executable().isEmpty())
      throw std::runtime_error(
          "Orthanc is not installed (Debian package orthanc; packaging/bootstrap.sh installs it)");
    const QString storage = dir_.filePath("storage");
    QJsonObject config{{"Name", "cfx-test"},
                       {"StorageDirectory", storage},
                       {"IndexDirectory", storage},
                       {"DicomAet", kAeTitle},
                       {"DicomPort", dicomPort_},
                       {"HttpPort", httpPort_},
                       {"RemoteAccessAllowed", false},
                       {"AuthenticationEnabled", false},
                       {"DicomCheckCalledAet", true},
                       {"LoadPrivateDictionary", false},
                       {"Plugins", QJsonArray()},
                       {"DicomModalities",
                        QJsonObject{{"cfx", QJsonArray{kOurAeTitle, "127.0.0.1", receivePort_}}}}};
    if (tls) {
      makeCertificate("server");
      config["DicomTlsEnabled"] = true;
      config["DicomTlsCertificate"] = dir_.filePath("server.pem");
      config["DicomTlsPrivateKey"] = dir_.filePath("server.key");
      config["DicomTlsTrustedCertificates"] = dir_.filePath("server.pem");
    }
    QFile file(dir_.filePath("orthanc.json"));
    if (!file.open(QIODevice::WriteOnly)) throw std::runtime_error("cannot write Orthanc config");
    file.write(QJsonDocument(config).toJson());
    file.close();
    process_.setProgram(executable());
    process_.setArguments({file.fileName()});
    process_.setStandardOutputFile(dir_.filePath("orthanc.log"));
    process_.setStandardErrorFile(dir_.filePath("orthanc.log"));
    process_.start();
    if (!process_.waitForStarted(5000)) throw std::runtime_error("Orthanc did not start");
    QElapsedTimer clock;
    clock.start();
    while (!listening(dicomPort_) || !listening(httpPort_)) {
      if (clock.elapsed() > 15000 || process_.state() == QProcess::NotRunning)
        throw std::runtime_error("Orthanc did not come up: " + log().toStdString());
      QThread::msleep(50);
    }
  }

  ~OrthancServer() { stop(); }

  // The node as a user would configure it.
  pacs::PacsNode node(pacs::RetrieveMethod method = pacs::RetrieveMethod::Get) const {
    pacs::PacsNode node;
    node.name = "orthanc";
    node.calledAeTitle = kAeTitle;
    node.host = "127.0.0.1";
    node.port = dicomPort_;
    node.callingAeTitle = kOurAeTitle;
    node.timeoutSeconds = 10;
    node.retrieve = method;
    node.receivePort = receivePort_;
    return node;
  }

  int dicomPort() const { return dicomPort_; }

  // The node with TLS: our certificate is the server's own (which it trusts), and we trust it.
  pacs::PacsNode tlsNode() const {
    pacs::PacsNode node = this->node();
    node.tls.enabled = true;
    node.tls.certificate = dir_.filePath("server.pem").toStdString();
    node.tls.privateKey = dir_.filePath("server.key").toStdString();
    node.tls.trustedCertificates = {node.tls.certificate};
    return node;
  }

  // A self-signed certificate and key NAME.pem / NAME.key in the server's folder.
  QString makeCertificate(const QString& name) const {
    QProcess openssl;
    openssl.start("openssl", {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                              "-subj", "/CN=" + name, "-keyout", dir_.filePath(name + ".key"),
                              "-out", dir_.filePath(name + ".pem")});
    if (!openssl.waitForFinished(30000) || openssl.exitCode() != 0)
      throw std::runtime_error("openssl could not make a test certificate");
    return dir_.filePath(name + ".pem");
  }

  // GET on Orthanc's REST API, parsed.
  QJsonDocument rest(const QString& path) const {
    QNetworkAccessManager network;
    QNetworkReply* reply = network.get(
        QNetworkRequest(QUrl(QString("http://127.0.0.1:%1%2").arg(httpPort_).arg(path))));
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    const QByteArray body = reply->readAll();
    reply->deleteLater();
    return QJsonDocument::fromJson(body);
  }

  void stop() {
    if (process_.state() == QProcess::NotRunning) return;
    ::kill(pid_t(process_.processId()), SIGCONT);
    process_.terminate();
    if (!process_.waitForFinished(5000)) {
      process_.kill();
      process_.waitForFinished(2000);
    }
  }
  // The server vanishes at once, as a crash or a pulled cable would make it.
  void killNow() {
    process_.kill();
    process_.waitForFinished(2000);
  }
  // The server stops answering but keeps its sockets open (a hung PACS).
  void pause() { ::kill(pid_t(process_.processId()), SIGSTOP); }
  void resume() { ::kill(pid_t(process_.processId()), SIGCONT); }

  QString log() const {
    QFile file(dir_.filePath("orthanc.log"));
    return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll().right(2000)) : "";
  }

 private:
  static bool listening(int port) {
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, quint16(port));
    return socket.waitForConnected(200);
  }

  QTemporaryDir dir_;
  int dicomPort_, httpPort_, receivePort_;
  QProcess process_;
};

}  // namespace cfx::test
