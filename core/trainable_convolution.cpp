#include "trainable_convolution.h"

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
namespace {

// fp32 CPU tensors of which some gradient is wanted.
bool servable(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  const auto fp32Cpu = [](const torch::Tensor& t) {
    return t.device().is_cpu() && t.scalar_type() == torch::kFloat;
  };
  const bool gradient =
      torch::GradMode::is_enabled() &&
      (x.requires_grad() || weight.requires_grad() || (bias.defined() && bias.requires_grad()));
  return gradient && x.dim() == 4 && weight.dim() == 4 && x.size(1) == weight.size(1) &&
         fp32Cpu(x) && fp32Cpu(weight) && (!bias.defined() || (fp32Cpu(bias) && bias.dim() == 1));
}

}  // namespace

namespace trainable_convolution_parts {

using dnnl::memory;

// What a set of primitives was made for. The weights' values are not part of it: they change
// every step, and are handed to the primitives at every call.
struct Shape {
  std::vector<int64_t> input, weight;
  bool hasBias = false;
  int64_t padding = 0;
  int threads = 1;  // oneDNN fixes a primitive's threads when it makes it
  bool operator==(const Shape& o) const {
    return input == o.input && weight == o.weight && hasBias == o.hasBias && padding == o.padding &&
           threads == o.threads;
  }
};

struct Primitives {
  Shape shape;
  bool usable = true;
  std::vector<int64_t> outputSizes;
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  dnnl::convolution_forward forward;
  dnnl::convolution_backward_data backwardData;
  dnnl::convolution_backward_weights backwardWeights;
  memory::desc source, destination, bias, userWeights;
  memory::desc forwardWeights, dataWeights, diffWeights;  // the layouts each primitive wants
  std::mutex mutex;  // one execution at a time: the primitives share their scratchpads

  // The tensor's weights in `layout`: the tensor's own memory, or a reordered copy.
  memory weightsIn(const memory::desc& layout, const torch::Tensor& weight) {
    memory given(userWeights, engine, weight.data_ptr());
    if (layout == userWeights) return given;
    memory reordered(layout, engine);
    dnnl::reorder(given, reordered).execute(stream, given, reordered);
    return reordered;
  }
};

memory::dims dimsOf(at::IntArrayRef values) {
  return memory::dims(values.begin(), values.end());
}

// The dense channels-last layout of [n, c, h, w].
memory::desc nhwc(int64_t n, int64_t c, int64_t h, int64_t w) {
  return memory::desc({n, c, h, w}, memory::data_type::f32, {h * w * c, 1, w * c, c});
}

std::shared_ptr<Primitives> prepare(const Shape& shape) {
  const auto f32 = memory::data_type::f32;
  auto p = std::make_shared<Primitives>();
  p->shape = shape;
  const auto& in = shape.input;
  const auto& wt = shape.weight;
  const int64_t pad = shape.padding;
  p->outputSizes = {in[0], wt[0], in[2] + 2 * pad - wt[2] + 1, in[3] + 2 * pad - wt[3] + 1};
  p->source = nhwc(in[0], in[1], in[2], in[3]);
  p->destination = nhwc(p->outputSizes[0], p->outputSizes[1], p->outputSizes[2], p->outputSizes[3]);
  p->userWeights = memory::desc(dimsOf(wt), f32, memory::format_tag::oihw);
  p->bias = memory::desc({wt[0]}, f32, memory::format_tag::a);
  const memory::desc anyWeights(dimsOf(wt), f32, memory::format_tag::any);
  const memory::dims strides{1, 1}, padding{pad, pad};
  const auto direct = dnnl::algorithm::convolution_direct;
  const auto forwardDescription =
      shape.hasBias
          ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, direct, p->source,
                                            anyWeights, p->bias, p->destination, strides, padding,
                                            padding)
          : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, direct, p->source,
                                            anyWeights, p->destination, strides, padding, padding);
  const dnnl::convolution_forward::primitive_desc forwardPlan(forwardDescription, p->engine);
  const dnnl::convolution_backward_data::primitive_desc dataPlan(
      dnnl::convolution_backward_data::desc(direct, p->source, anyWeights, p->destination, strides,
                                            padding, padding),
      p->engine, forwardPlan);
  const auto weightsDescription =
      shape.hasBias
          ? dnnl::convolution_backward_weights::desc(direct, p->source, anyWeights, p->bias,
                                                     p->destination, strides, padding, padding)
          : dnnl::convolution_backward_weights::desc(direct, p->source, anyWeights, p->destination,
                                                     strides, padding, padding);
  const dnnl::convolution_backward_weights::primitive_desc weightsPlan(weightsDescription,
                                                                       p->engine, forwardPlan);
  // oneDNN's reference kernels are far slower than LibTorch's path.
  for (const char* implementation :
       {forwardPlan.impl_info_str(), dataPlan.impl_info_str(), weightsPlan.impl_info_str()})
    if (std::string(implementation).rfind("ref", 0) == 0) {
      p->usable = false;
      return p;
    }
  p->forward = dnnl::convolution_forward(forwardPlan);
  p->backwardData = dnnl::convolution_backward_data(dataPlan);
  p->backwardWeights = dnnl::convolution_backward_weights(weightsPlan);
  p->forwardWeights = forwardPlan.weights_desc();
  p->dataWeights = dataPlan.weights_desc();
  p->diffWeights = weightsPlan.diff_weights_desc();
  return p;
}

// Keeps what the autograd graph needs until its backward has run: the primitives, owned by a
// one-byte tensor that the graph's saved data holds (saved data holds tensors, not C++ objects).
torch::Tensor holderOf(std::shared_ptr<Primitives> primitives) {
  auto* owned = new std::shared_ptr<Primitives>(std::move(primitives));
  return torch::from_blob(
      owned, {1}, [owned](void*) { delete owned; }, torch::TensorOptions().dtype(torch::kUInt8));
}

Primitives& heldBy(const torch::Tensor& holder) {
  return **static_cast<std::shared_ptr<Primitives>*>(holder.data_ptr());
}

torch::Tensor forwardPass(Primitives& p, const torch::Tensor& x, const torch::Tensor& weight,
                          const torch::Tensor& bias) {
  std::lock_guard<std::mutex> lock(p.mutex);
  auto out = at::empty(p.outputSizes, x.options().memory_format(torch::MemoryFormat::ChannelsLast));
  std::unordered_map<int, memory> arguments{
      {DNNL_ARG_SRC, memory(p.source, p.engine, x.data_ptr())},
      {DNNL_ARG_WEIGHTS, p.weightsIn(p.forwardWeights, weight)},
      {DNNL_ARG_DST, memory(p.destination, p.engine, out.data_ptr())}};
  if (p.shape.hasBias) arguments[DNNL_ARG_BIAS] = memory(p.bias, p.engine, bias.data_ptr());
  p.forward.execute(p.stream, arguments);
  p.stream.wait();
  return out;
}

class ConvolutionFunction : public torch::autograd::Function<ConvolutionFunction> {
 public:
  // x channels-last and weight contiguous, as the primitives were made for.
  static torch::Tensor forward(torch::autograd::AutogradContext* context, const torch::Tensor& x,
                               const torch::Tensor& weight,
                               const c10::optional<torch::Tensor>& bias, int64_t padding,
                               const torch::Tensor& holder) {
    context->save_for_backward({x, weight});
    context->saved_data["holder"] = holder;
    context->saved_data["padding"] = padding;
    context->saved_data["bias"] = bias.has_value();
    return forwardPass(heldBy(holder), x, weight, bias ? *bias : torch::Tensor());
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* context,
                                               torch::autograd::tensor_list gradients) {
    const auto saved = context->get_saved_variables();
    const auto& x = saved[0];
    const auto& weight = saved[1];
    const bool hasBias = context->saved_data["bias"].toBool();
    const int64_t padding = context->saved_data["padding"].toInt();
    const auto gradient = gradients[0].contiguous(torch::MemoryFormat::ChannelsLast);
    torch::Tensor dx, dw, db;
    if (torch::GradMode::is_enabled()) {
      // A graph of the gradient is wanted: LibTorch's differentiable operations (stride 1).
      if (context->needs_input_grad(0))
        dx = torch::conv_transpose2d(gradient, weight, {}, 1, padding);
      if (context->needs_input_grad(1))
        dw = torch::conv2d(x.transpose(0, 1), gradient.transpose(0, 1), {}, 1, padding)
                 .transpose(0, 1);
      if (hasBias && context->needs_input_grad(2)) db = gradient.sum({0, 2, 3});
      return {dx, dw, db, torch::Tensor(), torch::Tensor()};
    }
    Primitives& p = heldBy(context->saved_data["holder"].toTensor());
    std::lock_guard<std::mutex> lock(p.mutex);
    const memory diffDestination(p.destination, p.engine, gradient.data_ptr());
    if (context->needs_input_grad(0)) {
      dx = at::empty(x.sizes(), x.options().memory_format(torch::MemoryFormat::ChannelsLast));
      p.backwardData.execute(p.stream,
                             {{DNNL_ARG_DIFF_DST, diffDestination},
                              {DNNL_ARG_WEIGHTS, p.weightsIn(p.dataWeights, weight)},
                              {DNNL_ARG_DIFF_SRC, memory(p.source, p.engine, dx.data_ptr())}});
    }
    if (context->needs_input_grad(1) || (hasBias && context->needs_input_grad(2))) {
      dw = at::empty(weight.sizes(), weight.options());
      memory userDiff(p.userWeights, p.engine, dw.data_ptr());
      memory diff = p.diffWeights == p.userWeights ? userDiff : memory(p.diffWeights, p.engine);
      std::unordered_map<int, memory> arguments{
          {DNNL_ARG_SRC, memory(p.source, p.engine, x.data_ptr())},
          {DNNL_ARG_DIFF_DST, diffDestination},
          {DNNL_ARG_DIFF_WEIGHTS, diff}};
      if (hasBias) {
        db = at::empty({weight.size(0)}, weight.options());
        arguments[DNNL_ARG_DIFF_BIAS] = memory(p.bias, p.engine, db.data_ptr());
      }
      p.backwardWeights.execute(p.stream, arguments);
      if (p.diffWeights != p.userWeights)
        dnnl::reorder(diff, userDiff).execute(p.stream, diff, userDiff);
    }
    p.stream.wait();
    if (!context->needs_input_grad(1)) dw = torch::Tensor();
    return {dx, dw, db, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace trainable_convolution_parts

using namespace trainable_convolution_parts;

struct TrainableConvolution::Cache {
  std::mutex mutex;
  // Few shapes meet one convolution (one image size, a batch or two, one or two thread counts);
  // the oldest goes first.
  std::vector<std::shared_ptr<Primitives>> kept;
  static constexpr size_t kShapesKept = 8;

  // The primitives for shape, prepared now if need be; null where LibTorch's path must serve.
  std::shared_ptr<Primitives> find(const Shape& shape) {
    std::lock_guard<std::mutex> lock(mutex);
    for (const auto& candidate : kept)
      if (candidate->shape == shape) return candidate->usable ? candidate : nullptr;
    std::shared_ptr<Primitives> entry;
    try {
      entry = prepare(shape);
    } catch (const dnnl::error&) {
      entry = std::make_shared<Primitives>();  // no primitive for this shape: LibTorch's path
      entry->shape = shape;
      entry->usable = false;
    }
    if (kept.size() >= kShapesKept) kept.erase(kept.begin());
    kept.push_back(entry);
    return entry->usable ? entry : nullptr;
  }
};

TrainableConvolution::TrainableConvolution() : cache_(std::make_shared<Cache>()) {}

torch::Tensor TrainableConvolution::operator()(const torch::Tensor& x, const torch::Tensor& weight,
                                               const torch::Tensor& bias, int64_t padding) {
  if (!servable(x, weight, bias)) return {};
  const auto input = x.contiguous(torch::MemoryFormat::ChannelsLast);
  const auto weights = weight.contiguous();
  const Shape shape{input.sizes().vec(), weights.sizes().vec(), bias.defined(), padding,
                    at::get_num_threads()};
  try {
    auto primitives = cache_->find(shape);
    if (!primitives) return {};
    // An undefined tensor cannot be an input of a custom function; an empty optional can.
    const auto b = bias.defined() ? c10::optional<torch::Tensor>(bias.contiguous()) : c10::nullopt;
    return ConvolutionFunction::apply(input, weights, b, padding, holderOf(std::move(primitives)));
  } catch (const dnnl::error&) {
    return {};  // a failure at run time (out of memory): LibTorch's path reports it if it recurs
  }
}

size_t TrainableConvolution::kept() const {
  std::lock_guard<std::mutex> lock(cache_->mutex);
  return cache_->kept.size();
}

#else

struct TrainableConvolution::Cache {};

TrainableConvolution::TrainableConvolution() = default;

torch::Tensor TrainableConvolution::operator()(const torch::Tensor&, const torch::Tensor&,
                                               const torch::Tensor&, int64_t) {
  return {};
}

size_t TrainableConvolution::kept() const {
  return 0;
}

#endif

TrainableConvolution::~TrainableConvolution() = default;

TrainableConvolution::TrainableConvolution(const TrainableConvolution&) : TrainableConvolution() {}

TrainableConvolution& TrainableConvolution::operator=(const TrainableConvolution&) {
  return *this;  // what was prepared belongs to the object it was prepared for
}

}  // namespace cfx
