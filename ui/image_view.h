#pragma once

#include <QGraphicsPixmapItem>
#include <QGraphicsView>

namespace cfx::ui {

// One image panel: the image, an optional overlay on top, wheel zoom about the cursor and drag
// to pan. Views linked with `link` follow each other's zoom and pan.
class ImageView : public QGraphicsView {
  Q_OBJECT
 public:
  explicit ImageView(const QString& name, QWidget* parent = nullptr);

  void setImage(const QImage& image);
  void setOverlay(const QImage& overlay);
  void setOverlayVisible(bool visible);
  void setOverlayOpacity(double opacity);
  bool overlayVisible() const;
  bool hasImage() const { return !image_->pixmap().isNull(); }
  void fitImage();
  static void link(const std::vector<ImageView*>& views);

 Q_SIGNALS:
  void viewChanged();

 protected:
  void wheelEvent(QWheelEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;

 private:
  void follow(const ImageView& other);

  QGraphicsScene scene_;
  QGraphicsPixmapItem* image_ = nullptr;
  QGraphicsPixmapItem* overlay_ = nullptr;
  bool following_ = false;
  bool userZoomed_ = false;
};

}  // namespace cfx::ui
