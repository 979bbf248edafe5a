#include "prepared_convolution.h"

#include "fast_gelu.h"

#include <ATen/Parallel.h>
#include <algorithm>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#ifdef CFX_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace cfx {
namespace {

// Whether the prepared path may serve: fp32 CPU tensors, no gradient to record, weights that
// are not inference tensors (those have no version counter to notice a change by).
bool servable(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  const bool gradient =
      torch::GradMode::is_enabled() &&
      (x.requires_grad() || weight.requires_grad() || (bias.defined() && bias.requires_grad()));
  const auto fp32Cpu = [](const torch::Tensor& t) {
    return t.device().is_cpu() && t.scalar_type() == torch::kFloat;
  };
  return !gradient && x.dim() == 4 && weight.dim() == 4 && fp32Cpu(x) && fp32Cpu(weight) &&
         !weight.is_inference() && (!bias.defined() || (fp32Cpu(bias) && bias.dim() == 1));
}

bool servableGeluThenPointwise(const torch::Tensor& x, const torch::Tensor& weight,
                               const torch::Tensor& bias) {
  return fastGeluPays() && servable(x, weight, bias) && weight.size(2) == 1 &&
         weight.size(3) == 1 && x.is_contiguous(torch::MemoryFormat::ChannelsLast) &&
         weight.size(1) == x.size(1);
}

// oneDNN has only its reference kernel for a handful of output channels; a direct loop serves.
constexpr int64_t kFewOutputs = 4;

torch::Tensor geluThenFewOutputs(const torch::Tensor& x, const torch::Tensor& weight,
                                 const torch::Tensor& bias) {
  const int64_t c = x.size(1), outputs = weight.size(0);
  const auto w = weight.reshape({outputs, c}).contiguous();
  const auto b = bias.defined() ? bias.contiguous() : bias;
  auto result = at::empty({x.size(0), outputs, x.size(2), x.size(3)},
                          x.options().memory_format(at::MemoryFormat::ChannelsLast));
  geluThenProject(x.data_ptr<float>(), x.numel() / c, c, w.data_ptr<float>(), outputs,
                  b.defined() ? b.data_ptr<float>() : nullptr, result.data_ptr<float>());
  return result;
}

}  // namespace

#ifdef CFX_HAVE_ONEDNN
namespace prepared_convolution_parts {

dnnl::memory::dims dimsOf(at::IntArrayRef values) {
  return dnnl::memory::dims(values.begin(), values.end());
}

// What a primitive was made for: any difference needs another one.
struct ConvolutionKey {
  std::vector<int64_t> inputSizes, inputStrides, weightSizes, weightStrides;
  const void* weightData = nullptr;
  int64_t weightVersion = -1;
  bool hasBias = false;
  int64_t padding = 0;
  // oneDNN fixes a primitive's threads when it makes it: one made while the job had one thread
  // (the thread budget gives one beside a busy process, and a command's first call may come
  // before its budget is applied) would run on one thread ever after.
  int threads = 1;
  bool operator==(const ConvolutionKey& o) const {
    return inputSizes == o.inputSizes && inputStrides == o.inputStrides &&
           weightSizes == o.weightSizes && weightStrides == o.weightStrides &&
           weightData == o.weightData && weightVersion == o.weightVersion && hasBias == o.hasBias &&
           padding == o.padding && threads == o.threads;
  }
};

struct PreparedPrimitive {
  ConvolutionKey key;
  dnnl::convolution_forward primitive;
  dnnl::memory source, weights, bias, destination;  // weights owned; the others wrap tensors
  std::vector<int64_t> outputSizes;
  bool usable = true;
};

}  // namespace prepared_convolution_parts

using namespace prepared_convolution_parts;

struct PreparedConvolution::Cache {
  std::mutex mutex;
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  // Few shapes meet one convolution (one image size, a batch or two, one or two thread counts);
  // the oldest goes first.
  std::vector<PreparedPrimitive> prepared;
  static constexpr size_t kShapesKept = 8;

  std::vector<float> band;  // the GELU of one band of rows (geluThenPointwise)

  // A primitive for key, or an entry marked unusable where oneDNN offers only a slow one.
  PreparedPrimitive& prepare(const ConvolutionKey& key, const torch::Tensor& weight);
  PreparedPrimitive& keep(PreparedPrimitive entry);
  // The kept primitive for key (prepared now if need be); null where LibTorch's path must serve.
  PreparedPrimitive* find(const ConvolutionKey& key, const torch::Tensor& weight);
  // One execution; the pointers are the input's, the output's and the bias's (or null) memory.
  void run(PreparedPrimitive& entry, const float* input, float* output, const float* bias);
};

PreparedPrimitive& PreparedConvolution::Cache::prepare(const ConvolutionKey& key,
                                                       const torch::Tensor& weight) {
  using dnnl::memory;
  const auto f32 = memory::data_type::f32;
  const int64_t p = key.padding, kh = weight.size(2), kw = weight.size(3);
  PreparedPrimitive entry;
  entry.key = key;
  const auto& in = key.inputSizes;
  entry.outputSizes = {in[0], weight.size(0), in[2] + 2 * p - kh + 1, in[3] + 2 * p - kw + 1};
  const int64_t n = entry.outputSizes[0], c = entry.outputSizes[1], h = entry.outputSizes[2],
                w = entry.outputSizes[3];
  const memory::desc source(key.inputSizes, f32, key.inputStrides);
  // The output is channels-last, as every activation of the networks here.
  const memory::desc destination({n, c, h, w}, f32, {h * w * c, 1, w * c, c});
  const memory::desc userWeights(dimsOf(weight.sizes()), f32, dimsOf(weight.strides()));
  const memory::desc anyWeights(dimsOf(weight.sizes()), f32, memory::format_tag::any);
  const memory::dims strides{1, 1}, padding{p, p};
  const auto kind = dnnl::prop_kind::forward_inference;
  const auto direct = dnnl::algorithm::convolution_direct;
  const auto description =
      key.hasBias ? dnnl::convolution_forward::desc(kind, direct, source, anyWeights,
                                                    memory::desc({c}, f32, memory::format_tag::a),
                                                    destination, strides, padding, padding)
                  : dnnl::convolution_forward::desc(kind, direct, source, anyWeights, destination,
                                                    strides, padding, padding);
  const dnnl::convolution_forward::primitive_desc plan(description, engine);
  // oneDNN's reference kernels (an unusual layout) are far slower than LibTorch's path.
  if (std::string(plan.impl_info_str()).rfind("ref", 0) == 0) {
    entry.usable = false;
    return keep(std::move(entry));
  }
  entry.primitive = dnnl::convolution_forward(plan);
  entry.weights = memory(plan.weights_desc(), engine);
  memory given(userWeights, engine, weight.data_ptr());
  dnnl::reorder(given, entry.weights).execute(stream, given, entry.weights);
  stream.wait();
  entry.source = memory(plan.src_desc(), engine, DNNL_MEMORY_NONE);
  entry.destination = memory(plan.dst_desc(), engine, DNNL_MEMORY_NONE);
  if (key.hasBias) entry.bias = memory(plan.bias_desc(), engine, DNNL_MEMORY_NONE);
  return keep(std::move(entry));
}

PreparedPrimitive& PreparedConvolution::Cache::keep(PreparedPrimitive entry) {
  if (prepared.size() >= kShapesKept) prepared.erase(prepared.begin());
  prepared.push_back(std::move(entry));
  return prepared.back();
}

PreparedPrimitive* PreparedConvolution::Cache::find(const ConvolutionKey& key,
                                                    const torch::Tensor& weight) {
  for (auto& candidate : prepared)
    if (candidate.key == key) return candidate.usable ? &candidate : nullptr;
  // Weights changed (training steps, a model loaded into the same networks): no shape of the
  // old ones is of use again.
  prepared.erase(std::remove_if(prepared.begin(), prepared.end(),
                                [&](const PreparedPrimitive& e) {
                                  return e.key.weightData == key.weightData &&
                                         e.key.weightVersion != key.weightVersion;
                                }),
                 prepared.end());
  PreparedPrimitive* entry = nullptr;
  try {
    entry = &prepare(key, weight);
  } catch (const dnnl::error&) {
    PreparedPrimitive refused;  // no primitive for this shape or layout: LibTorch's path
    refused.key = key;
    refused.usable = false;
    entry = &keep(std::move(refused));
  }
  return entry->usable ? entry : nullptr;
}

void PreparedConvolution::Cache::run(PreparedPrimitive& entry, const float* input, float* output,
                                     const float* bias) {
  // oneDNN reads, never writes, the input and the bias; its API takes them as void*.
  entry.source.set_data_handle(const_cast<float*>(input));
  entry.destination.set_data_handle(output);
  std::unordered_map<int, dnnl::memory> arguments{{DNNL_ARG_SRC, entry.source},
                                                  {DNNL_ARG_WEIGHTS, entry.weights},
                                                  {DNNL_ARG_DST, entry.destination}};
  if (entry.key.hasBias) {
    entry.bias.set_data_handle(const_cast<float*>(bias));
    arguments[DNNL_ARG_BIAS] = entry.bias;
  }
  entry.primitive.execute(stream, arguments);
  stream.wait();
}

namespace {

ConvolutionKey keyFor(std::vector<int64_t> inputSizes, std::vector<int64_t> inputStrides,
                      const torch::Tensor& weight, const torch::Tensor& bias, int64_t padding) {
  return {std::move(inputSizes), std::move(inputStrides),
          weight.sizes().vec(),  weight.strides().vec(),
          weight.data_ptr(),     int64_t(weight._version()),
          bias.defined(),        padding,
          at::get_num_threads()};
}

// The GELU's output of one band stays in the core's cache (about 1-2 MiB here) until the
// convolution reads it.
constexpr int64_t kBandBytes = 384 * 1024;

}  // namespace

PreparedConvolution::PreparedConvolution() : cache_(std::make_unique<Cache>()) {}

torch::Tensor PreparedConvolution::operator()(const torch::Tensor& x, const torch::Tensor& weight,
                                              const torch::Tensor& bias, int64_t padding) {
  if (auto trained = trainable_(x, weight, bias, padding); trained.defined()) return trained;
  if (!servable(x, weight, bias)) return {};
  const torch::Tensor b = bias.defined() ? bias.contiguous() : bias;
  const auto key = keyFor(x.sizes().vec(), x.strides().vec(), weight, bias, padding);
  std::lock_guard<std::mutex> lock(cache_->mutex);
  try {
    PreparedPrimitive* entry = cache_->find(key, weight);
    if (!entry) return {};
    auto out =
        at::empty(entry->outputSizes, x.options().memory_format(at::MemoryFormat::ChannelsLast));
    cache_->run(*entry, x.data_ptr<float>(), out.data_ptr<float>(),
                b.defined() ? b.data_ptr<float>() : nullptr);
    return out;
  } catch (const dnnl::error&) {
    return {};  // a failure at run time (out of memory): LibTorch's path reports it if it recurs
  }
}

torch::Tensor PreparedConvolution::geluThenPointwise(const torch::Tensor& x,
                                                     const torch::Tensor& weight,
                                                     const torch::Tensor& bias) {
  if (!servableGeluThenPointwise(x, weight, bias)) return {};
  if (weight.size(0) <= kFewOutputs) return geluThenFewOutputs(x, weight, bias);
  // A 1x1 convolution sees pixels, not images: the rows of every image are one tall image,
  // cut into bands of whole rows that divide it (one primitive serves every band).
  const int64_t c = x.size(1), width = x.size(3), rows = x.size(0) * x.size(2);
  const int64_t wanted = std::max<int64_t>(1, kBandBytes / int64_t(width * c * sizeof(float)));
  int64_t band = std::min(wanted, rows);
  while (rows % band) --band;
  const torch::Tensor b = bias.defined() ? bias.contiguous() : bias;
  const auto key =
      keyFor({1, c, band, width}, {band * width * c, 1, width * c, c}, weight, bias, 0);
  std::lock_guard<std::mutex> lock(cache_->mutex);
  try {
    PreparedPrimitive* entry = cache_->find(key, weight);
    if (!entry) return {};
    const int64_t out = weight.size(0);
    auto result = at::empty({x.size(0), out, x.size(2), width},
                            x.options().memory_format(at::MemoryFormat::ChannelsLast));
    cache_->band.resize(size_t(band * width * c));
    const float* in = x.data_ptr<float>();
    float* o = result.data_ptr<float>();
    for (int64_t first = 0; first < rows; first += band) {
      geluErf(in + first * width * c, cache_->band.data(), band * width * c);
      cache_->run(*entry, cache_->band.data(), o + first * width * out,
                  b.defined() ? b.data_ptr<float>() : nullptr);
    }
    return result;
  } catch (const dnnl::error&) {
    return {};
  }
}

bool PreparedConvolution::available() {
  return true;
}

size_t PreparedConvolution::kept() const {
  std::lock_guard<std::mutex> lock(cache_->mutex);
  return cache_->prepared.size();
}

#else

struct PreparedConvolution::Cache {};

PreparedConvolution::PreparedConvolution() = default;

torch::Tensor PreparedConvolution::operator()(const torch::Tensor& x, const torch::Tensor& weight,
                                              const torch::Tensor& bias, int64_t padding) {
  return trainable_(x, weight, bias, padding);
}

torch::Tensor PreparedConvolution::geluThenPointwise(const torch::Tensor& x,
                                                     const torch::Tensor& weight,
                                                     const torch::Tensor& bias) {
  if (!servableGeluThenPointwise(x, weight, bias) || weight.size(0) > kFewOutputs) return {};
  return geluThenFewOutputs(x, weight, bias);
}

bool PreparedConvolution::available() {
  return false;
}

size_t PreparedConvolution::kept() const {
  return 0;
}

#endif

PreparedConvolution::~PreparedConvolution() = default;

PreparedConvolution::PreparedConvolution(const PreparedConvolution&) : PreparedConvolution() {}

PreparedConvolution& PreparedConvolution::operator=(const PreparedConvolution&) {
  return *this;  // what was prepared belongs to the weights this one was used with
}

}  // namespace cfx
