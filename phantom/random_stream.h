#pragma once

#include <cmath>
#include <cstdint>

namespace cfx::phantom {

// A small deterministic generator (SplitMix64) with our own uniform and normal transforms, so the
// same seed gives the same subject on every standard library (std:: distributions do not promise
// that).
class RandomStream {
 public:
  explicit RandomStream(std::uint64_t seed) : state_(seed) {}

  std::uint64_t nextBits() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double uniform() { return double(nextBits() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]: log is finite
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  // Standard normal restricted to [-limit, limit] by rejection.
  double truncatedNormal(double limit) {
    for (;;) {
      const double z = normal();
      if (std::abs(z) <= limit) return z;
    }
  }

  // Independent stream for item `index` of a run seeded with `seed`.
  static std::uint64_t derive(std::uint64_t seed, std::uint64_t index) {
    RandomStream mix(seed ^ (0xD1B54A32D192ED03ull * (index + 1)));
    return mix.nextBits();
  }

 private:
  std::uint64_t state_;
};

}  // namespace cfx::phantom
