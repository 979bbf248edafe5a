#include "exogenous_store.h"

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "validation_error.h"

namespace cfx::phantom {
namespace {

constexpr char kMagic[8] = {'C', 'F', 'X', 'E', 'X', 'O', 'G', '\0'};
constexpr std::uint32_t kVersion = 1;
constexpr std::uint32_t kMaxIdLength = 4096;

template <typename T>
void put(std::ostream& out, T value) {
  static_assert(std::is_trivially_copyable_v<T>);
  out.write(reinterpret_cast<const char*>(&value),
            sizeof value);  // the build targets little-endian hosts
}

template <typename T>
T get(std::istream& in, const std::string& path, const char* what) {
  T value{};
  if (!in.read(reinterpret_cast<char*>(&value), sizeof value))
    throw ValidationError(path, what, "file ends early (truncated or not an exogenous.bin)");
  return value;
}

}  // namespace

void writeExogenous(const std::string& path, const std::vector<StoredSubject>& subjects) {
  const std::string temporary = path + ".partial";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw ValidationError(path, "write", "cannot create the file");
    out.write(kMagic, sizeof kMagic);
    put(out, kVersion);
    put(out, std::uint64_t(subjects.size()));
    for (const auto& s : subjects) {
      put(out, std::uint32_t(s.id.size()));
      out.write(s.id.data(), std::streamsize(s.id.size()));
      for (double v : {s.noise.sex, s.noise.age, s.noise.heartArea, s.noise.rightLungArea,
                       s.noise.leftLungArea})
        put(out, v);
      put(out, s.noise.imageSeed);
    }
    if (!out.flush()) throw ValidationError(path, "write", "writing failed (disk full?)");
  }
  std::filesystem::rename(temporary, path);
}

std::vector<StoredSubject> readExogenous(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ValidationError(path, "open", "cannot read the file");
  char magic[8];
  if (!in.read(magic, sizeof magic) || std::memcmp(magic, kMagic, sizeof magic) != 0)
    throw ValidationError(path, "header", "not a cfx exogenous.bin file");
  const auto version = get<std::uint32_t>(in, path, "version");
  if (version != kVersion)
    throw ValidationError(
        path, "version",
        "expected " + std::to_string(kVersion) + ", got " + std::to_string(version));
  const auto count = get<std::uint64_t>(in, path, "count");
  std::vector<StoredSubject> subjects;
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::string where = "subject " + std::to_string(i);
    const auto length = get<std::uint32_t>(in, path, where.c_str());
    if (length == 0 || length > kMaxIdLength) throw ValidationError(path, where, "bad id length");
    StoredSubject s;
    s.id.resize(length);
    if (!in.read(s.id.data(), length)) throw ValidationError(path, where, "file ends early");
    for (double* v : {&s.noise.sex, &s.noise.age, &s.noise.heartArea, &s.noise.rightLungArea,
                      &s.noise.leftLungArea})
      *v = get<double>(in, path, where.c_str());
    s.noise.imageSeed = get<std::uint64_t>(in, path, where.c_str());
    subjects.push_back(std::move(s));
  }
  if (in.peek() != std::char_traits<char>::eof())
    throw ValidationError(path, "end", "unexpected bytes after the last subject");
  return subjects;
}

}  // namespace cfx::phantom
