#include "hvae_scoring.h"

#include <algorithm>

namespace cfx {

HvaeLoss hvaeLossOn(HvaeImpl& hvae, const torch::Tensor& images, const torch::Tensor& parents,
                    const torch::Device& device) {
  torch::NoGradGuard noGrad;
  double nelbo = 0, nll = 0, kl = 0;
  const int64_t n = images.size(0);
  for (int64_t start = 0; start < n; start += kEvaluationBatch) {
    const int64_t end = std::min(n, start + kEvaluationBatch);
    const auto l =
        hvae.loss(images.slice(0, start, end).to(device), parents.slice(0, start, end).to(device));
    nelbo += l.nelbo.item<double>() * double(end - start);
    nll += l.nll.item<double>() * double(end - start);
    kl += l.kl.item<double>() * double(end - start);
  }
  return {torch::tensor(nelbo / double(n)), torch::tensor(nll / double(n)),
          torch::tensor(kl / double(n))};
}

torch::Tensor quantise(const torch::Tensor& images) {
  return ((images + 1) * 127.5).round() / 127.5 - 1;
}

}  // namespace cfx
