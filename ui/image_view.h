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

  // `shownAs` is the size the image covers in the scene (its own size when empty), so that views
  // of images on different grids (the input's, the model's) line up when linked.
  void setImage(const QImage& image, QSize shownAs = {});
  // Stretched over the image, whatever its own grid.
  void setOverlay(const QImage& overlay);
  void setOverlayVisible(bool visible);
  void setOverlayOpacity(double opacity);
  bool overlayVisible() const;
  bool hasImage() const { return !image_->pixmap().isNull(); }
  QSize imageSize() const { return image_->pixmap().size(); }  // in the image's own pixels
  void fitImage();
  static void link(const std::vector<ImageView*>& views);

 Q_SIGNALS:
  void viewChanged();

 protected:
  void wheelEvent(QWheelEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;

 private:
  void follow(const ImageView& other);
  void fitOverlay();

  QGraphicsScene scene_;
  QGraphicsPixmapItem* image_ = nullptr;
  QGraphicsPixmapItem* overlay_ = nullptr;
  bool following_ = false;
  bool userZoomed_ = false;
};

}  // namespace cfx::ui
