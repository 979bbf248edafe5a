#include "prepared_convolution.h"

#include <algorithm>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#ifdef CFX_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace cfx {

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
  bool operator==(const ConvolutionKey& o) const {
    return inputSizes == o.inputSizes && inputStrides == o.inputStrides &&
           weightSizes == o.weightSizes && weightStrides == o.weightStrides &&
           weightData == o.weightData && weightVersion == o.weightVersion && hasBias == o.hasBias &&
           padding == o.padding;
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
  // Few shapes meet one convolution (one image size, a batch or two); the oldest goes first.
  std::vector<PreparedPrimitive> prepared;
  static constexpr size_t kShapesKept = 4;

  // A primitive for key, or an entry marked unusable where oneDNN offers only a slow one.
  PreparedPrimitive& prepare(const ConvolutionKey& key, const torch::Tensor& x,
                             const torch::Tensor& weight);
  PreparedPrimitive& keep(PreparedPrimitive entry);
};

PreparedPrimitive& PreparedConvolution::Cache::prepare(const ConvolutionKey& key,
                                                       const torch::Tensor& x,
                                                       const torch::Tensor& weight) {
  using dnnl::memory;
  const auto f32 = memory::data_type::f32;
  const int64_t p = key.padding, kh = weight.size(2), kw = weight.size(3);
  PreparedPrimitive entry;
  entry.key = key;
  entry.outputSizes = {x.size(0), weight.size(0), x.size(2) + 2 * p - kh + 1,
                       x.size(3) + 2 * p - kw + 1};
  const int64_t n = entry.outputSizes[0], c = entry.outputSizes[1], h = entry.outputSizes[2],
                w = entry.outputSizes[3];
  const memory::desc source(dimsOf(x.sizes()), f32, dimsOf(x.strides()));
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

PreparedConvolution::PreparedConvolution() : cache_(std::make_unique<Cache>()) {}

torch::Tensor PreparedConvolution::operator()(const torch::Tensor& x, const torch::Tensor& weight,
                                              const torch::Tensor& bias, int64_t padding) {
  const bool gradient =
      torch::GradMode::is_enabled() &&
      (x.requires_grad() || weight.requires_grad() || (bias.defined() && bias.requires_grad()));
  const auto servable = [](const torch::Tensor& t) {
    return t.device().is_cpu() && t.scalar_type() == torch::kFloat && !t.is_inference();
  };
  if (gradient || x.dim() != 4 || weight.dim() != 4 || !x.device().is_cpu() ||
      x.scalar_type() != torch::kFloat || !servable(weight) ||
      (bias.defined() && (!bias.device().is_cpu() || bias.scalar_type() != torch::kFloat)))
    return {};
  const torch::Tensor b = bias.defined() ? bias.contiguous() : bias;
  ConvolutionKey key{
      x.sizes().vec(),   x.strides().vec(),          weight.sizes().vec(), weight.strides().vec(),
      weight.data_ptr(), int64_t(weight._version()), bias.defined(),       padding};
  std::lock_guard<std::mutex> lock(cache_->mutex);
  PreparedPrimitive* entry = nullptr;
  for (auto& candidate : cache_->prepared)
    if (candidate.key == key) entry = &candidate;
  try {
    if (!entry) {
      // Weights changed (training steps, a model loaded into the same networks): no shape of
      // the old ones is of use again.
      auto& kept = cache_->prepared;
      kept.erase(std::remove_if(kept.begin(), kept.end(),
                                [&](const PreparedPrimitive& e) {
                                  return e.key.weightData == key.weightData &&
                                         e.key.weightVersion != key.weightVersion;
                                }),
                 kept.end());
      try {
        entry = &cache_->prepare(key, x, weight);
      } catch (const dnnl::error&) {
        PreparedPrimitive refused;  // no primitive for this shape or layout: LibTorch's path
        refused.key = key;
        refused.usable = false;
        entry = &cache_->keep(std::move(refused));
      }
    }
    if (!entry->usable) return {};
    auto out =
        at::empty(entry->outputSizes, x.options().memory_format(at::MemoryFormat::ChannelsLast));
    entry->source.set_data_handle(x.data_ptr());
    entry->destination.set_data_handle(out.data_ptr());
    std::unordered_map<int, dnnl::memory> arguments{{DNNL_ARG_SRC, entry->source},
                                                    {DNNL_ARG_WEIGHTS, entry->weights},
                                                    {DNNL_ARG_DST, entry->destination}};
    if (key.hasBias) {
      entry->bias.set_data_handle(b.data_ptr());
      arguments[DNNL_ARG_BIAS] = entry->bias;
    }
    entry->primitive.execute(cache_->stream, arguments);
    cache_->stream.wait();
    return out;
  } catch (const dnnl::error&) {
    return {};  // a failure at run time (out of memory): LibTorch's path reports it if it recurs
  }
}

bool PreparedConvolution::available() {
  return true;
}

#else

struct PreparedConvolution::Cache {};

PreparedConvolution::PreparedConvolution() = default;

torch::Tensor PreparedConvolution::operator()(const torch::Tensor&, const torch::Tensor&,
                                              const torch::Tensor&, int64_t) {
  return {};
}

bool PreparedConvolution::available() {
  return false;
}

#endif

PreparedConvolution::~PreparedConvolution() = default;

PreparedConvolution::PreparedConvolution(const PreparedConvolution&) : PreparedConvolution() {}

PreparedConvolution& PreparedConvolution::operator=(const PreparedConvolution&) {
  return *this;  // what was prepared belongs to the weights this one was used with
}

}  // namespace cfx
