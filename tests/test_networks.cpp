#include <torch/torch.h>
#include <QTemporaryDir>
#include <QtTest>
#include <array>

#include "augmentation.h"
#include "convolution.h"
#include "fast_gelu.h"
#include "image_layout.h"
#include "label_regions.h"
#include "model_bundle.h"
#include "predictor.h"
#include "prepared_convolution.h"
#include "segmentor.h"
#include "single_channel_convolution.h"
#include "test_helpers.h"
#include "trainable_convolution.h"
#include "trainer.h"

using namespace cfx;

namespace {

constexpr int64_t kSize = 16;

SegmentorConfig tinySegmentorConfig(int64_t width = 4) {
  SegmentorConfig c;
  c.size = kSize;
  c.structures = {{"right_lung_area", 1}, {"left_lung_area", 2}, {"heart_area", 3}};
  c.unet.classes = 4;
  c.unet.width = width;
  c.unet.depth = 2;
  return c;
}

// Images with two dark "lungs" and a bright "heart" of random sizes, and their label maps.
std::pair<torch::Tensor, torch::Tensor> shapes(int64_t n, at::Generator& g) {
  auto images = torch::full({n, 1, kSize, kSize}, 0.2f);
  auto labels = torch::zeros({n, kSize, kSize}, torch::kUInt8);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t h = 6 + torch::randint(5, {1}, g, torch::kInt64).item<int64_t>();
    labels[i].slice(0, 2, 2 + h).slice(1, 1, 6).fill_(1);
    labels[i].slice(0, 2, 2 + h).slice(1, 10, 15).fill_(2);
    labels[i].slice(0, 9, 13).slice(1, 7, 11).fill_(3);
  }
  images.masked_fill_((labels == 1).unsqueeze(1) | (labels == 2).unsqueeze(1), -0.8f);
  images.masked_fill_((labels == 3).unsqueeze(1), 0.9f);
  return {images + 0.05 * torch::randn(images.sizes(), g, torch::TensorOptions()), labels};
}

torch::Tensor oneHotProbabilities(const torch::Tensor& classes, int64_t count) {
  return torch::one_hot(classes, count).permute({0, 3, 1, 2}).to(torch::kFloat32);
}

}  // namespace

class TestNetworks : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

 private Q_SLOTS:
  void initTestCase() { torch::manual_seed(0); }

  // The engine's own convolution and layout helpers give LibTorch's numbers in every layout and
  // size they meet: 1x1 and 3x3, tiny (LibTorch's path) and large (oneDNN), NCHW and NHWC.
  // The inference GELU against LibTorch's exact one over the whole useful range, the tails
  // (where erf saturates), NaN and both layouts; with autograd on it declines.
  // The loop kernels' files are compiled with OpenMP: without it at::parallel_for runs on one
  // thread (every GELU and upsampling of the engine did, until this was found).
  void loopKernelsSplitAcrossThreads() {
    const int threads = at::get_num_threads();
    at::set_num_threads(2);
    const int used = threadsUsedByLoopKernels(64);
    at::set_num_threads(threads);
    QCOMPARE(used, 2);
  }

  void fastGeluMatchesLibTorchsExactGelu() {
    torch::NoGradGuard noGrad;
    if (!fastGeluPays()) QSKIP("this CPU has no AVX-512: LibTorch's GELU serves");
    const auto ramp = torch::linspace(-12, 12, 240001);
    const auto got = fastGelu(ramp);
    QVERIFY(got.defined());
    // Within 3e-7 of LibTorch's, relative to |x| beyond 1 (a float's own spacing at 12 is 1e-6).
    const double worst =
        ((got - torch::gelu(ramp)).abs() / ramp.abs().clamp_min(1)).max().item<double>();
    QVERIFY2(worst < 3e-7, qPrintable(QString::number(worst)));
    // Far tails: exactly x on the right, within 1e-7 of 0 on the left.
    QCOMPARE(fastGelu(torch::tensor({30.0f})).item<float>(), 30.0f);
    QVERIFY(std::abs(fastGelu(torch::tensor({-30.0f})).item<float>()) < 1e-7);
    QVERIFY(std::isnan(fastGelu(torch::tensor({NAN})).item<float>()));
    // Channels-last in, channels-last out, element for element; odd sizes exercise the tails of
    // the vector loop, and a large one the split over threads.
    for (const int64_t side : {3, 97}) {
      const auto x = preferredLayout(torch::randn({1, 5, side, side}) * 4);
      const auto y = fastGelu(x);
      QVERIFY(y.is_contiguous(torch::MemoryFormat::ChannelsLast));
      const auto gap = (y - torch::gelu(x.contiguous())).abs() / x.abs().clamp_min(1);
      QVERIFY2(gap.max().item<double>() < 3e-7,
               qPrintable(QString::number(gap.max().item<double>())));
    }
    // Not for tensors it cannot serve: the caller falls back to LibTorch.
    QVERIFY(!fastGelu(torch::randn({4, 4}).t()).defined());
    QVERIFY(!fastGelu(torch::randn({4}, torch::kDouble)).defined());
    {
      torch::AutoGradMode grad(true);
      QVERIFY(!fastGelu(torch::randn({4}, torch::requires_grad())).defined());
    }
  }

  // The trainable GELU: LibTorch's values and gradients (the gradient within 1e-6 of LibTorch's,
  // relative to the incoming gradient) on a ramp through both tails, channels-last input with an
  // NCHW gradient (the gradient is brought to x's layout), and a gradient of the gradient
  // (create_graph) through LibTorch's operations.
  void trainableFastGeluMatchesLibTorchsGradient() {
    if (!fastGeluPays()) QSKIP("this CPU has no AVX-512: LibTorch's GELU serves");
    torch::AutoGradMode grad(true);
    const auto check = [](const torch::Tensor& values, const torch::Tensor& incoming) {
      const auto x = values.detach().requires_grad_(true);
      const auto reference = values.detach().contiguous().requires_grad_(true);
      const auto y = trainableFastGelu(x);
      QVERIFY(y.defined() && y.requires_grad());
      const auto want = torch::gelu(reference);
      QVERIFY(((y - want).abs() / values.abs().clamp_min(1)).max().item<double>() < 3e-7);
      y.backward(incoming);
      want.backward(incoming.contiguous());
      const double worst =
          ((x.grad() - reference.grad()).abs().max() / incoming.abs().max()).item<double>();
      QVERIFY2(worst < 1e-6, qPrintable(QString("gradient off by %1").arg(worst)));
    };
    check(torch::linspace(-15, 15, 300001), torch::randn({300001}));
    check(preferredLayout(torch::randn({2, 12, 33, 17}) * 4), torch::randn({2, 12, 33, 17}));
    // The gradient of the gradient.
    const auto x = torch::randn({64}, torch::requires_grad());
    const auto first = torch::autograd::grad({trainableFastGelu(x).sum()}, {x}, {}, true, true)[0];
    const auto second = torch::autograd::grad({first.sum()}, {x})[0];
    const auto r = x.detach().requires_grad_(true);
    const auto wantFirst = torch::autograd::grad({torch::gelu(r).sum()}, {r}, {}, true, true)[0];
    const auto wantSecond = torch::autograd::grad({wantFirst.sum()}, {r})[0];
    QVERIFY(torch::allclose(first, wantFirst, 1e-5, 1e-6));
    QVERIFY(torch::allclose(second, wantSecond, 1e-5, 1e-6));
    QVERIFY(!trainableFastGelu(torch::randn({4}, torch::kDouble)).defined());
  }

  // Kept oneDNN primitives against LibTorch's convolution: every size class of the HVAE, both
  // layouts, with and without a bias, one image and two, a weight that is a narrowed view (the
  // spatial share of a 1x1 convolution); then weights changed in place and the same shape again
  // (a stale primitive would answer the old weights); and the calls it must decline.
  void preparedConvolutionsMatchLibTorchAndFollowTheirWeights() {
    torch::NoGradGuard noGrad;
    if (!PreparedConvolution::available()) QSKIP("built without oneDNN's headers");
    PreparedConvolution prepared;
    for (const int64_t side : {1, 4, 16, 40})
      for (const int64_t kernel : {1, 3})
        for (const int64_t batch : {1, 2})
          for (const bool withBias : {true, false}) {
            const auto x = torch::randn({batch, 6, side, side});
            const auto w = torch::randn({5, 6, kernel, kernel});
            const auto b = withBias ? torch::randn({5}) : torch::Tensor();
            const auto want = torch::conv2d(x, w, b, 1, kernel / 2);
            for (const auto& input : {x, preferredLayout(x)}) {
              const auto got = prepared(input, w, b, kernel / 2);
              // Channels-last, as every activation of the networks, is always served; a
              // shape oneDNN offers only its reference kernel for is declined.
              if (!got.defined() && input.is_contiguous()) continue;
              QVERIFY(got.defined());
              QVERIFY(got.is_contiguous(torch::MemoryFormat::ChannelsLast));
              QVERIFY2(torch::allclose(got, want, 1e-4, 1e-4),
                       qPrintable(
                           QString("side %1 kernel %2 batch %3").arg(side).arg(kernel).arg(batch)));
            }
          }
    const auto x = preferredLayout(torch::randn({1, 6, 9, 9}));
    const auto wide = torch::randn({5, 9, 1, 1}), b = torch::randn({5});
    const auto narrowed = wide.narrow(1, 0, 6);
    QVERIFY(
        torch::allclose(prepared(x, narrowed, b, 0), torch::conv2d(x, narrowed, b), 1e-4, 1e-4));
    // The same tensors, changed in place (an optimiser step, a model loaded into the network).
    auto w = torch::randn({5, 6, 3, 3});
    const auto before = prepared(x, w, b, 1);
    w.mul_(-2);
    const auto after = prepared(x, w, b, 1);
    QVERIFY(torch::allclose(after, torch::conv2d(x, w, b, 1, 1), 1e-4, 1e-4));
    QVERIFY(!torch::allclose(after, before, 1e-2, 1e-2));
    // A copy starts empty and computes the same.
    PreparedConvolution copy = prepared;
    QCOMPARE(copy.kept(), size_t(0));
    QVERIFY(torch::allclose(copy(x, w, b, 1), after, 1e-6, 1e-6));
    // oneDNN fixes a primitive's threads when it makes it: another thread count gets its own
    // primitive (one made on one thread would otherwise serve two on one), the same count none.
    {
      const int threads = at::get_num_threads();
      at::set_num_threads(threads == 1 ? 2 : 1);
      QVERIFY(torch::allclose(copy(x, w, b, 1), after, 1e-6, 1e-6));
      QCOMPARE(copy.kept(), size_t(2));
      at::set_num_threads(threads);
      QVERIFY(torch::allclose(copy(x, w, b, 1), after, 1e-6, 1e-6));
      QCOMPARE(copy.kept(), size_t(2));
    }
    if (fastGeluPays()) {  // the fused path needs AVX-512
      // conv(GELU(x)) band by band: a 128 px 48-channel map (several bands), two images of an odd
      // height (bands of whole rows that divide 2 x 7), a narrowed weight with a per-image bias.
      for (const auto& [sizes, out] : std::vector<std::pair<std::vector<int64_t>, int64_t>>{
               {{1, 48, 128, 128}, 12}, {{2, 8, 7, 10}, 2}, {{1, 48, 1, 1}, 12}}) {
        const auto input = preferredLayout(torch::randn(sizes) * 3);
        const auto weight = torch::randn({out, sizes[1], 1, 1}), bias = torch::randn({out});
        const auto fused = prepared.geluThenPointwise(input, weight, bias);
        QVERIFY(fused.defined());
        QVERIFY(fused.is_contiguous(torch::MemoryFormat::ChannelsLast));
        QVERIFY(
            torch::allclose(fused, torch::conv2d(torch::gelu(input), weight, bias), 1e-4, 1e-4));
      }
      const auto parentsBias = torch::randn({5});
      QVERIFY(torch::allclose(prepared.geluThenPointwise(x, narrowed, parentsBias),
                              torch::conv2d(torch::gelu(x), narrowed, parentsBias), 1e-4, 1e-4));
      QVERIFY(!prepared.geluThenPointwise(x, w, b).defined());                      // 3x3
      QVERIFY(!prepared.geluThenPointwise(x.contiguous(), narrowed, b).defined());  // NCHW
    }
    // Declined: another type. A call autograd must see goes to the training primitives.
    QVERIFY(
        !prepared(x.to(torch::kDouble), w.to(torch::kDouble), b.to(torch::kDouble), 1).defined());
    {
      torch::AutoGradMode grad(true);
      const auto trained = torch::randn({5, 6, 3, 3}, torch::requires_grad());
      const auto out = prepared(x, trained, b, 1);
      QVERIFY(out.defined() && out.requires_grad());
      QVERIFY(out.grad_fn()->name().find("ConvolutionFunction") != std::string::npos);
    }
  }

  void convolutionAndLayoutHelpersMatchLibTorch() {
    torch::NoGradGuard noGrad;
    for (const int64_t side : {1, 4, 16, 40})
      for (const int64_t kernel : {1, 3}) {
        const auto x = torch::randn({2, 6, side, side});
        const auto w = torch::randn({5, 6, kernel, kernel}), b = torch::randn({5});
        const auto want = torch::conv2d(x, w, b, 1, kernel / 2);
        for (const auto& input : {x, preferredLayout(x)}) {
          const auto got = convolve2d(input, w, b, kernel / 2);
          QVERIFY2(torch::allclose(got, want, 1e-4, 1e-4),
                   qPrintable(QString("side %1 kernel %2").arg(side).arg(kernel)));
        }
      }
    const auto x = torch::randn({1, 7, 9, 9}) * 3;
    const auto nhwc = preferredLayout(x);
    QVERIFY(nhwc.is_contiguous(torch::MemoryFormat::ChannelsLast) && !nhwc.is_contiguous());
    QVERIFY(torch::allclose(geluAnyLayout(nhwc), torch::gelu(x), 1e-6, 1e-6));
    // bf16 in, bf16 out, within bf16's rounding of the fp32 answer.
    const auto half = geluAnyLayout(x.to(torch::kBFloat16));
    QCOMPARE(half.scalar_type(), torch::kBFloat16);
    QVERIFY((half.to(torch::kFloat) - torch::gelu(x)).abs().max().item<double>() < 0.05);
    // Nearest upsampling: the row-copying path (channels-last) and LibTorch's (NCHW), exactly
    // LibTorch's numbers, for 2x, 3x, 4x and unequal factors, one image and two.
    for (const auto& [from, to] :
         std::vector<std::pair<std::array<int64_t, 2>, std::array<int64_t, 2>>>{
             {{1, 1}, {4, 4}}, {{5, 5}, {10, 10}}, {{3, 4}, {9, 8}}})
      for (const int64_t batch : {1, 2}) {
        const auto coarse = torch::randn({batch, 6, from[0], from[1]});
        const auto want = torch::upsample_nearest2d(coarse, {to[0], to[1]});
        for (const auto& input : {coarse, preferredLayout(coarse)}) {
          const auto got = upsampleNearest(input, to[0], to[1]);
          QVERIFY(torch::equal(got, want));
          QVERIFY(got.is_contiguous(torch::MemoryFormat::ChannelsLast));
        }
      }
    // A coarse map upsampled (2x, 3x) and added, without materialising the upsampling.
    for (const int64_t factor : {2, 3}) {
      const auto coarse = torch::randn({2, 4, 3, 3});
      const auto fine = torch::randn({2, 4, 3 * factor, 3 * factor});
      const auto want = torch::upsample_nearest2d(coarse, {3 * factor, 3 * factor}) + fine;
      QVERIFY(torch::equal(addUpsampled(coarse, fine), want));
      const auto cl = addUpsampled(preferredLayout(coarse), preferredLayout(fine));
      QVERIFY(torch::equal(cl, want));
      QVERIFY(cl.is_contiguous(torch::MemoryFormat::ChannelsLast));
    }
  }

  // Convolutions with a gradient run on oneDNN's training primitives of our own: LibTorch's
  // values and gradients for 1x1 and 3x3 kernels (padding 0 and 1), a one-channel input without
  // a gradient (the first layer), with and without bias, an NCHW incoming gradient, and a first
  // derivative with a graph (a second derivative, through LibTorch's operations). One set of
  // primitives per shape and thread count is kept. Inference is not served.
  void trainableConvolutionMatchesLibTorch() {
    if (!PreparedConvolution::available()) QSKIP("built without oneDNN's headers");
    struct Case {
      int64_t inputs, outputs, kernel, padding;
      bool bias, inputGradient;
    };
    for (const auto& c : std::vector<Case>{{48, 12, 1, 0, true, true},
                                           {12, 48, 1, 0, false, true},
                                           {12, 12, 3, 1, true, true},
                                           {5, 7, 3, 0, true, true},
                                           {1, 16, 3, 1, true, false}}) {
      const QString label = QString("%1 -> %2, %3x%3").arg(c.inputs).arg(c.outputs).arg(c.kernel);
      TrainableConvolution convolution;
      const auto xValue = torch::randn({2, c.inputs, 9, 7});
      const auto wValue = torch::randn({c.outputs, c.inputs, c.kernel, c.kernel}) * 0.3;
      const auto bValue = c.bias ? torch::randn({c.outputs}) : torch::Tensor();
      const int64_t outH = 9 + 2 * c.padding - c.kernel + 1,
                    outW = 7 + 2 * c.padding - c.kernel + 1;
      const auto upstream = torch::randn({2, c.outputs, outH, outW});  // NCHW
      const auto leaves = [&] {
        auto x = preferredLayout(xValue).requires_grad_(c.inputGradient);
        auto w = wValue.clone().requires_grad_(true);
        auto b = c.bias ? bValue.clone().requires_grad_(true) : torch::Tensor();
        return std::make_tuple(x, w, b);
      };
      auto [x0, w0, b0] = leaves();
      const auto want = torch::conv2d(x0, w0, b0, 1, c.padding);
      (want * upstream).sum().backward();
      auto [x, w, b] = leaves();
      const auto got = convolution(x, w, b, c.padding);
      QVERIFY2(got.defined(), qPrintable(label));
      QVERIFY2(got.grad_fn()->name().find("ConvolutionFunction") != std::string::npos,
               qPrintable(label));
      QVERIFY(got.is_contiguous(torch::MemoryFormat::ChannelsLast));
      QVERIFY2(torch::allclose(got, want, 1e-4, 1e-4), qPrintable(label));
      (got * upstream).sum().backward();
      QVERIFY2(torch::allclose(w.grad(), w0.grad(), 1e-3, 1e-3), qPrintable(label));
      if (c.bias) QVERIFY2(torch::allclose(b.grad(), b0.grad(), 1e-3, 1e-3), qPrintable(label));
      if (c.inputGradient)
        QVERIFY2(torch::allclose(x.grad(), x0.grad(), 1e-4, 1e-4), qPrintable(label));
      else
        QVERIFY(!x.grad().defined());
      // With a graph of the gradient: the same first derivative, whose own gradient in the
      // upstream gradient u is d/du sum(dL/dw) = sum over the inputs under each output pixel.
      auto u = upstream.clone().requires_grad_(true);
      const auto again = convolution(x, w, b, c.padding);
      const auto dw = torch::autograd::grad({(again * u).sum()}, {w}, {}, true, true)[0];
      QVERIFY2(torch::allclose(dw, w0.grad(), 1e-3, 1e-3), qPrintable(label));
      dw.sum().backward();
      auto u0 = upstream.clone().requires_grad_(true);
      const auto dw0 = torch::autograd::grad({(torch::conv2d(x0, w0, b0, 1, c.padding) * u0).sum()},
                                             {w0}, {}, true, true)[0];
      dw0.sum().backward();
      QVERIFY2(torch::allclose(u.grad(), u0.grad(), 1e-4, 1e-4), qPrintable(label));
      QCOMPARE(convolution.kept(), size_t(1));
      torch::NoGradGuard inference;
      QVERIFY(!convolution(x, w, b, c.padding).defined());
    }
  }

  // Average pooling of channels-last fp32 maps runs through our block sums, in training with its
  // own gradient: LibTorch's values and gradients for factors 2 and 4, 5 and 16 channels, an
  // NCHW incoming gradient and a second derivative; NCHW input and indivisible sides go to
  // LibTorch.
  void averagePoolMatchesLibTorch() {
    for (const int64_t factor : {2, 4})
      for (const int64_t channels : {5, 16}) {
        const auto value = torch::randn({2, channels, 4 * factor, 3 * factor});
        const auto upstream = torch::randn({2, channels, 4, 3});
        auto x0 = value.clone().requires_grad_(true);
        const auto want = torch::avg_pool2d(x0, factor);
        (want * upstream).sum().backward();
        auto x = preferredLayout(value).requires_grad_(true);
        const auto got = averagePool(x, factor);
        QVERIFY(got.grad_fn()->name().find("AveragePool") != std::string::npos);
        QVERIFY(got.is_contiguous(torch::MemoryFormat::ChannelsLast));
        QVERIFY(torch::allclose(got, want, 1e-6, 1e-6));
        (got * upstream).sum().backward();
        QVERIFY(torch::allclose(x.grad(), x0.grad(), 1e-6, 1e-6));
        auto u = upstream.clone().requires_grad_(true);
        const auto g =
            torch::autograd::grad({(averagePool(x, factor) * u).sum()}, {x}, {}, true, true)[0];
        QVERIFY(torch::allclose(g, x0.grad(), 1e-6, 1e-6));
        (g * torch::ones_like(g)).sum().backward();  // d/du of sum(g): each u once per block pixel
        QVERIFY(torch::allclose(u.grad(), torch::ones_like(upstream), 1e-6, 1e-6));
        torch::NoGradGuard inference;
        QVERIFY(torch::allclose(averagePool(preferredLayout(value), factor), want, 1e-6, 1e-6));
        QVERIFY(torch::equal(averagePool(value, factor), torch::avg_pool2d(value, factor)));
      }
    torch::NoGradGuard inference;
    const auto odd = preferredLayout(torch::randn({1, 3, 5, 5}));
    QVERIFY(torch::equal(averagePool(odd, 2), torch::avg_pool2d(odd, 2)));
  }

  // In training, nearest upsampling and the upsampled sum run through our own loops with their
  // own gradients (block sums of an NHWC gradient): LibTorch's values and gradients for 2x and
  // unequal 3x2 factors, 5 and 16 channels (vector remainders), an NCHW incoming gradient, and a
  // first derivative with a graph (a second derivative: LibTorch's sum).
  void upsamplingGradientsMatchLibTorch() {
    for (const auto& [fy, fx] : std::vector<std::pair<int64_t, int64_t>>{{2, 2}, {3, 2}})
      for (const int64_t channels : {5, 16}) {
        const auto coarseValue = torch::randn({2, channels, 3, 4});
        const auto fineValue = torch::randn({2, channels, 3 * fy, 4 * fx});
        const auto weight = torch::randn({2, channels, 3 * fy, 4 * fx});  // NCHW gradient
        const auto reference = [&](bool sum) {
          auto c = coarseValue.clone().requires_grad_(true);
          auto f = fineValue.clone().requires_grad_(true);
          auto up = torch::upsample_nearest2d(c, {3 * fy, 4 * fx});
          auto out = sum ? up + f : up;
          (out * weight).sum().backward();
          return std::make_tuple(out.detach(), c.grad(), sum ? f.grad() : torch::Tensor());
        };
        for (const bool sum : {false, true}) {
          const auto [want, wantCoarse, wantFine] = reference(sum);
          auto c = preferredLayout(coarseValue).requires_grad_(true);
          auto f = preferredLayout(fineValue).requires_grad_(true);
          const auto out = sum ? addUpsampled(c, f) : upsampleNearest(c, 3 * fy, 4 * fx);
          QVERIFY2(
              out.grad_fn()->name().find(sum ? "UpsampledSum" : "Upsample") != std::string::npos,
              out.grad_fn()->name().c_str());
          QVERIFY(torch::equal(out, want));
          (out * weight).sum().backward();
          QVERIFY(torch::allclose(c.grad(), wantCoarse, 1e-5, 1e-5));
          if (sum) QVERIFY(torch::equal(f.grad(), wantFine));
          // With a graph of the gradient, whose own gradient (in weight) is the block sums again.
          auto w = weight.clone().requires_grad_(true);
          const auto again = sum ? addUpsampled(c, f) : upsampleNearest(c, 3 * fy, 4 * fx);
          const auto g = torch::autograd::grad({(again * w).sum()}, {c}, {}, true, true)[0];
          QVERIFY(torch::allclose(g, wantCoarse, 1e-5, 1e-5));
          g.sum().backward();
          QVERIFY(torch::allclose(w.grad(), torch::ones_like(weight)));
        }
      }
  }

  // One-channel images (the first layer of the HVAE and the U-Net) go to a direct loop in
  // inference: LibTorch's numbers for 3x3 and 5x5 kernels, with and without padding, odd and
  // non-square sizes, a map of one pixel, batches, with and without bias, and 16 and 48 outputs
  // (whole vectors) as well as 5 (a remainder); channels-last out. Declined: autograd, fp64, more
  // than one input channel.
  void singleChannelConvolutionMatchesLibTorch() {
    torch::NoGradGuard noGrad;
    struct Case {
      int64_t batch, height, width, outputs, kernel, padding;
      bool bias;
    };
    for (const auto& c : std::vector<Case>{{1, 128, 128, 48, 3, 1, true},
                                           {2, 17, 9, 16, 3, 1, false},
                                           {1, 1, 1, 5, 3, 1, true},
                                           {3, 12, 13, 5, 5, 2, true},
                                           {1, 10, 7, 16, 3, 0, true}}) {
      const auto x = torch::randn({c.batch, 1, c.height, c.width});
      const auto w = torch::randn({c.outputs, 1, c.kernel, c.kernel});
      const auto b = c.bias ? torch::randn({c.outputs}) : torch::Tensor();
      const auto want = torch::conv2d(x, w, b, 1, c.padding);
      const auto got = convolveSingleChannel(x, w, b, c.padding);
      const QString what = QString("%1x%2 kernel %3 padding %4")
                               .arg(c.height)
                               .arg(c.width)
                               .arg(c.kernel)
                               .arg(c.padding);
      QVERIFY2(got.defined() && got.sizes() == want.sizes(), qPrintable(what));
      QVERIFY2(got.is_contiguous(torch::MemoryFormat::ChannelsLast), qPrintable(what));
      QVERIFY2(torch::allclose(got, want, 1e-5, 1e-5), qPrintable(what));
      // convolve2d takes it for one-channel inputs.
      QVERIFY2(torch::allclose(convolve2d(x, w, b, c.padding), want, 1e-5, 1e-5), qPrintable(what));
    }
    const auto x = torch::randn({1, 1, 8, 8}), w = torch::randn({4, 1, 3, 3});
    QVERIFY(!convolveSingleChannel(x.to(torch::kDouble), w.to(torch::kDouble), {}, 1).defined());
    QVERIFY(!convolveSingleChannel(torch::randn({1, 2, 8, 8}), torch::randn({4, 2, 3, 3}), {}, 1)
                 .defined());
    torch::AutoGradMode grad(true);
    const auto trained = torch::randn({4, 1, 3, 3}, torch::requires_grad());
    QVERIFY(!convolveSingleChannel(x, trained, {}, 1).defined());
    // Through convolve2d the gradient still reaches the weights (LibTorch's path).
    convolve2d(x, trained, {}, 1).sum().backward();
    QVERIFY(trained.grad().defined() && trained.grad().abs().sum().item<double>() > 0);
  }

  // With every class labelled the partial-label loss is the cross-entropy; an image that leaves
  // the heart unlabelled scores its background pixels by p(background) + p(heart).
  void partialLabelLossesCountOnlyWhatEachImageLabels() {
    const auto logits = torch::randn({2, 4, 5, 5});
    const auto classes = torch::randint(0, 4, {2, 5, 5}, torch::kInt64);
    auto labelled = torch::ones({2, 4}, torch::kBool);
    QVERIFY(torch::allclose(partialCrossEntropy(logits, classes, labelled),
                            torch::cross_entropy_loss(logits, classes), 1e-6, 1e-6));
    labelled[1][3] = false;
    auto second = classes.clone();
    second[1].masked_fill_(second[1] == 3, 0);  // an unlabelled heart reads as background
    const auto p = torch::softmax(logits, 1);
    const auto pickedAll = p.gather(1, second.unsqueeze(1)).squeeze(1);
    auto picked = pickedAll.clone();
    picked[1] = torch::where(second[1] == 0, p[1][0] + p[1][3], pickedAll[1]);
    QVERIFY(torch::allclose(partialCrossEntropy(logits, second, labelled), -picked.log().mean(),
                            1e-5, 1e-5));
    // Soft Dice: the unlabelled (image, heart) pair is left out of the mean.
    const auto full = torch::one_hot(second, 4).permute({0, 3, 1, 2}).to(torch::kFloat32);
    const auto dice = softDice(full, second, labelled);
    auto wrongHeart = full.clone();
    wrongHeart[1][3].fill_(1.0);  // anything at all where image 1's heart is unlabelled
    QVERIFY(torch::allclose(softDice(wrongHeart, second, labelled), dice));
    QVERIFY(softDice(wrongHeart, second).item<double>() < dice.item<double>());
  }

  // Unknown targets (NaN) are left out of the predictors' loss, in value and gradient.
  void predictorLossIgnoresUnknownTargets() {
    PredictorConfig config;
    config.size = 16;
    config.width = 4;
    config.depth = 3;
    config.targets = {{"sex", true, 0, 1}, {"age", false, 50, 10}};
    Predictor predictor(config);
    const auto outputs = torch::randn({3, 2}, torch::requires_grad());
    const auto targets = torch::tensor({{1.f, 60.f}, {NAN, 40.f}, {0.f, NAN}});
    const auto loss = predictor->loss(outputs, targets);
    loss.backward();
    QVERIFY(std::isfinite(loss.item<double>()));
    QVERIFY(!torch::isnan(outputs.grad()).any().item<bool>());
    QCOMPARE(outputs.grad()[1][0].item<float>(), 0.f);
    QCOMPARE(outputs.grad()[2][1].item<float>(), 0.f);
    const auto o = outputs.detach();
    const double expected =
        (torch::binary_cross_entropy_with_logits(o[0][0], torch::tensor(1.f)).item<double>() +
         std::pow(o[0][1].item<double>() - 1.0, 2) + std::pow(o[1][1].item<double>() + 1.0, 2) +
         torch::binary_cross_entropy_with_logits(o[2][0], torch::tensor(0.f)).item<double>()) /
        3.0;
    QVERIFY(std::abs(loss.item<double>() - expected) < 1e-5);
  }

  void softAreaEqualsHardAreaOnCrispMask() {
    Segmentor segmentor(tinySegmentorConfig());
    at::Generator g = makeGenerator(1);
    const auto [images, labels] = shapes(3, g);
    const auto classes = segmentor->classIndices(labels);
    const auto areas = SegmentorImpl::softAreas(oneHotProbabilities(classes, 4));
    for (int64_t i = 0; i < 3; ++i)
      for (int64_t k = 0; k < 3; ++k) {
        const double hard =
            100.0 * (classes[i] == k + 1).sum().item<double>() / double(kSize * kSize);
        QCOMPARE(areas[i][k].item<double>(), hard);
      }
    QVERIFY(torch::equal(segmentor->labelMaps(oneHotProbabilities(classes, 4)), labels));
  }

  void labelMapsKeepOneRegionPerStructure() {
    // Label 1: a 6 x 6 block with a 2 x 2 background hole, a one-pixel speck and a second region
    // of six pixels; label 2: a block with a background gap that also touches label 1 (not a hole
    // of either); label 3: two diagonal pixels (one region: 8-connected).
    auto maps = torch::zeros({2, 16, 16}, torch::kUInt8);
    auto a = maps[0];
    a.slice(0, 1, 7).slice(1, 1, 7).fill_(1);
    a.slice(0, 3, 5).slice(1, 3, 5).fill_(0);
    a[12][2] = 1;
    a.slice(0, 1, 7).slice(1, 8, 14).fill_(2);
    a.slice(0, 3, 5).slice(1, 7, 9).fill_(0);  // opens onto label 1's block at column 7
    a[10][10] = 3;
    a[11][11] = 3;
    a[7][12] = 1;  // a one-pixel region of label 1 under label 2's block: beside it, so kept
    a.slice(0, 9, 15).slice(1, 0, 1).fill_(1);  // 6 pixels: a sixth of the block, not a speck
    maps[1].slice(0, 0, 16).slice(1, 0, 16).fill_(2);
    maps[1][8][8] = 0;  // a one-pixel hole in a structure that fills the image
    const auto cleaned = dropSpecksAndFillHoles(maps, {1, 2, 3});
    const auto c = cleaned[0];
    QCOMPARE(c[12][2].item<int>(), 0);  // speck dropped
    QCOMPARE(c[7][12].item<int>(), 1);  // a sliver beside another structure kept
    QCOMPARE(c.slice(0, 3, 5).slice(1, 3, 5).sum().item<int>(), 4);    // hole filled with 1
    QCOMPARE(c.slice(0, 3, 5).slice(1, 7, 9).sum().item<int>(), 0);    // gap between 1 and 2 kept
    QCOMPARE(c[10][10].item<int>() + c[11][11].item<int>(), 6);        // diagonal pair kept
    QCOMPARE(c.slice(0, 9, 15).slice(1, 0, 1).sum().item<int>(), 6);   // second region kept
    QCOMPARE((c == 1).sum().item<int64_t>(), int64_t(6 * 6 + 6 + 1));  // block, region, sliver
    QCOMPARE(cleaned[1][8][8].item<int>(), 2);
    QVERIFY(torch::equal(maps[0][12][2], torch::tensor(1, torch::kUInt8)));  // input untouched
    // The segmentor's hard maps go through it.
    Segmentor segmentor(tinySegmentorConfig());
    const auto classes = segmentor->classIndices(maps.slice(0, 0, 1));
    QVERIFY(torch::equal(segmentor->labelMaps(oneHotProbabilities(classes, 4)),
                         cleaned.slice(0, 0, 1)));
  }

  void regionalAreasSplitTheStructureIntoBands() {
    auto classes = torch::zeros({1, kSize, kSize}, torch::kInt64);
    classes[0].slice(0, 4, 10).slice(1, 2, 7).fill_(1);  // rows 4..9: three bands of two rows
    Segmentor segmentor(tinySegmentorConfig());
    const auto regional = segmentor->regionalAreas(oneHotProbabilities(classes, 4));
    QCOMPARE(regional.sizes().vec(), (std::vector<int64_t>{1, 3, 3}));
    const double band = 100.0 * 2 * 5 / double(kSize * kSize);
    for (int64_t b = 0; b < 3; ++b)
      QVERIFY(std::abs(regional[0][0][b].item<double>() - band) < 1e-5);
    QCOMPARE(regional[0][1].sum().item<double>(), 0.0);  // an absent structure has no area anywhere
  }

  void softAreaGradientReachesTheInput() {
    Segmentor segmentor(tinySegmentorConfig());
    at::Generator g = makeGenerator(2);
    auto images = shapes(2, g).first.requires_grad_(true);
    SegmentorImpl::softAreas(segmentor->probabilities(images)).select(1, 0).sum().backward();
    QVERIFY(images.grad().defined());
    QVERIFY(images.grad().abs().sum().item<double>() > 0);
    auto probabilities = segmentor->probabilities(images);
    segmentor->regionalAreas(probabilities).sum().backward();  // bands are differentiable too
  }

  void segmentorTrainingReducesItsLoss() {
    Segmentor segmentor(tinySegmentorConfig(8));
    at::Generator data = makeGenerator(3);
    const auto [images, labels] = shapes(64, data);
    const auto classes = segmentor->classIndices(labels);
    auto loss = [&](const torch::Tensor& x, const torch::Tensor& c) {
      const auto logits = segmentor->logits(x);
      return torch::cross_entropy_loss(logits, c) + (1 - softDice(torch::softmax(logits, 1), c));
    };
    const double before = loss(images, classes).item<double>();
    const TrainingOptions options = test::quickTraining(60, 1e-2);
    TrainingHooks hooks;
    hooks.step = [&](int64_t, at::Generator& g) {
      const auto index = torch::randint(64, {16}, g, torch::kInt64);
      const auto [x, c] = augment(images.index_select(0, index), classes.index_select(0, index),
                                  AugmentationOptions{}, g);
      return StepResult{loss(x, c), {}};
    };
    train(*segmentor, options, hooks, dir_.filePath("segmentor").toStdString());
    torch::NoGradGuard noGrad;
    const double after = loss(images, classes).item<double>();
    QVERIFY2(after < 0.5 * before, qPrintable(QString("loss %1 -> %2").arg(before).arg(after)));
  }

  void predictorTrainingReducesItsLoss() {
    PredictorConfig config;
    config.size = kSize;
    config.width = 4;
    config.depth = 3;
    config.targets = {{"heart_height", false, 4.0, 1.0}, {"big", true, 0.0, 1.0}};
    Predictor predictor(config);
    at::Generator data = makeGenerator(4);
    const auto [images, labels] = shapes(64, data);
    const auto height = (labels == 1).any(2).sum(1).to(torch::kFloat32);  // rows of the first lung
    const auto targets = torch::stack({height, (height > 8).to(torch::kFloat32)}, 1);
    const double before = predictor->loss(predictor->forward(images), targets).item<double>();
    const TrainingOptions options = test::quickTraining(80, 1e-2);
    TrainingHooks hooks;
    hooks.step = [&](int64_t, at::Generator& g) {
      const auto index = torch::randint(64, {16}, g, torch::kInt64);
      return StepResult{predictor->loss(predictor->forward(images.index_select(0, index)),
                                        targets.index_select(0, index)),
                        {}};
    };
    train(*predictor, options, hooks, dir_.filePath("predictor").toStdString());
    torch::NoGradGuard noGrad;
    const double after = predictor->loss(predictor->forward(images), targets).item<double>();
    QVERIFY2(after < 0.5 * before, qPrintable(QString("loss %1 -> %2").arg(before).arg(after)));
    const auto predicted = predictor->predict(images);
    QVERIFY(predicted.select(1, 1).min().item<double>() >= 0 &&
            predicted.select(1, 1).max().item<double>() <= 1);
  }

  void rocAucOfKnownCases() {
    const auto labels = torch::tensor({0, 0, 1, 1});
    QCOMPARE(rocAuc(torch::tensor({0.1, 0.2, 0.8, 0.9}), labels), 1.0);
    QCOMPARE(rocAuc(torch::tensor({0.9, 0.8, 0.2, 0.1}), labels), 0.0);
    QCOMPARE(rocAuc(torch::tensor({0.5, 0.5, 0.5, 0.5}), labels), 0.5);
    QCOMPARE(rocAuc(torch::tensor({0.1, 0.6, 0.5, 0.9}), labels), 0.75);
  }

  void augmentationMovesLabelsWithTheImage() {
    at::Generator g = makeGenerator(5);
    const auto [images, labels] = shapes(4, g);
    AugmentationOptions none;
    none = {0, 0, 0, 0, 0, 0, 0};
    const auto [same, sameLabels] = augment(images, labels.to(torch::kInt64), none, g);
    QVERIFY((same - images.clamp(-1, 1)).abs().max().item<double>() < 1e-5);
    QVERIFY(torch::equal(sameLabels, labels.to(torch::kInt64)));
    AugmentationOptions shiftOnly = none;
    shiftOnly.maxShift = 0.2;
    const auto [moved, movedLabels] = augment(images, labels.to(torch::kInt64), shiftOnly, g);
    // Where the moved label says heart, the moved image is bright; where lung, dark (on average:
    // boundary pixels are interpolated in the image but not in the labels).
    QVERIFY(!torch::equal(movedLabels, labels.to(torch::kInt64)));
    QVERIFY(moved.squeeze(1).masked_select(movedLabels == 3).mean().item<double>() > 0.6);
    QVERIFY(moved.squeeze(1).masked_select(movedLabels == 1).mean().item<double>() < -0.5);
  }

  void segmentorBundleRoundTrip() {
    const std::string dir = dir_.filePath("bundle").toStdString();
    Segmentor segmentor(tinySegmentorConfig());
    ModelBundle::saveComponent(dir, "segmentor", segmentor->config().toJson(),
                               moduleWeights(*segmentor));
    const auto c = ModelBundle::loadComponent(dir, "segmentor");
    Segmentor loaded(SegmentorConfig::fromJson(c.config, dir + "/model.json"));
    loadModuleWeights(*loaded, c.weights, c.weightsPath);
    at::Generator g = makeGenerator(6);
    const auto images = shapes(2, g).first;
    QVERIFY(torch::allclose(loaded->logits(images), segmentor->logits(images)));
    Segmentor wider(tinySegmentorConfig(8));
    CFX_EXPECT_ERROR(loadModuleWeights(*wider, c.weights, c.weightsPath), "segmentor.safetensors",
                     "unet.", "expected shape");
    auto broken = c.config;
    broken["unet"]["classes"] = 7;
    CFX_EXPECT_ERROR(SegmentorConfig::fromJson(broken, "model.json"), "model.json",
                     "segmentor.unet.classes");
  }
};

QTEST_APPLESS_MAIN(TestNetworks)
#include "test_networks.moc"
