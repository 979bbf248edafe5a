#include "image_view.h"

#include <QScrollBar>
#include <QTransform>
#include <QWheelEvent>

namespace cfx::ui {

ImageView::ImageView(const QString& name, QWidget* parent) : QGraphicsView(parent) {
  setObjectName(name);
  setScene(&scene_);
  image_ = scene_.addPixmap(QPixmap());
  overlay_ = scene_.addPixmap(QPixmap());
  overlay_->setOpacity(0.6);
  // Labels from the model's grid, often stretched over a finer input: smoothed, not staircased.
  overlay_->setTransformationMode(Qt::SmoothTransformation);
  image_->setTransformationMode(Qt::FastTransformation);  // pixels stay pixels when zoomed
  setDragMode(QGraphicsView::ScrollHandDrag);
  setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
  setBackgroundBrush(Qt::black);
  setMinimumSize(160, 160);
  for (QScrollBar* bar : {horizontalScrollBar(), verticalScrollBar()})
    connect(bar, &QScrollBar::valueChanged, this, [this] {
      if (!following_) Q_EMIT viewChanged();
    });
}

void ImageView::setImage(const QImage& image, QSize shownAs) {
  const bool first = image_->pixmap().isNull();
  image_->setPixmap(QPixmap::fromImage(image));
  // Per axis: a square model grid stretched over a portrait film is not scaled uniformly.
  image_->setTransform(shownAs.isEmpty() || image.isNull()
                           ? QTransform()
                           : QTransform::fromScale(double(shownAs.width()) / image.width(),
                                                   double(shownAs.height()) / image.height()));
  scene_.setSceneRect(image_->sceneBoundingRect());
  fitOverlay();
  if (first || !userZoomed_) fitImage();
}

void ImageView::setOverlay(const QImage& overlay) {
  overlay_->setPixmap(QPixmap::fromImage(overlay));
  fitOverlay();
}

void ImageView::fitOverlay() {
  const QSizeF own = overlay_->pixmap().size(), covered = image_->sceneBoundingRect().size();
  if (!own.isEmpty())
    overlay_->setTransform(
        QTransform::fromScale(covered.width() / own.width(), covered.height() / own.height()));
}
void ImageView::setOverlayVisible(bool visible) {
  overlay_->setVisible(visible);
}
void ImageView::setOverlayOpacity(double opacity) {
  overlay_->setOpacity(opacity);
}
bool ImageView::overlayVisible() const {
  return overlay_->isVisible();
}

void ImageView::fitImage() {
  if (image_->pixmap().isNull()) return;
  following_ = true;  // each view fits its own size; only user zoom and pan are shared
  fitInView(image_, Qt::KeepAspectRatio);
  following_ = false;
  userZoomed_ = false;
}

void ImageView::wheelEvent(QWheelEvent* event) {
  const double factor = std::pow(1.0015, event->angleDelta().y());
  scale(factor, factor);
  userZoomed_ = true;
  Q_EMIT viewChanged();
  event->accept();
}

void ImageView::resizeEvent(QResizeEvent* event) {
  QGraphicsView::resizeEvent(event);
  if (!userZoomed_) fitImage();
}

void ImageView::follow(const ImageView& other) {
  if (!other.userZoomed_) {
    fitImage();
    return;
  }
  following_ = true;
  setTransform(other.transform());
  userZoomed_ = other.userZoomed_;
  horizontalScrollBar()->setValue(other.horizontalScrollBar()->value());
  verticalScrollBar()->setValue(other.verticalScrollBar()->value());
  following_ = false;
}

void ImageView::link(const std::vector<ImageView*>& views) {
  for (ImageView* source : views)
    connect(source, &ImageView::viewChanged, source, [source, views] {
      for (ImageView* target : views)
        if (target != source) target->follow(*source);
    });
}

}  // namespace cfx::ui
