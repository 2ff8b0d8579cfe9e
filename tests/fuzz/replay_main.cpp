// Runs a fuzz harness over files instead of under libFuzzer, so the ordinary test suite (any compiler, no
// clang needed) replays every input that ever crashed: tests/fuzz/regressions/<harness>/, and for
// fuzz_gguf_model also the small real models in $WB_MODELS_DIR. A crash or sanitizer report fails the test.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));

namespace fs = std::filesystem;

int main(int argc, char** argv) {
    if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
    std::vector<fs::path> inputs;
    const fs::path regressions = fs::path(WB_SOURCE_DIR) / "tests/fuzz/regressions" / WB_HARNESS;
    if (fs::is_directory(regressions))
        for (const auto& entry : fs::directory_iterator(regressions))
            if (entry.is_regular_file() && entry.path().extension() != ".md") inputs.push_back(entry.path());
    if (std::string(WB_HARNESS) == "fuzz_gguf_model")
        if (const char* models = std::getenv("WB_MODELS_DIR"))
            for (const auto& entry : fs::recursive_directory_iterator(models))
                if (entry.path().extension() == ".gguf" && entry.file_size() <= (1200u << 10))
                    inputs.push_back(entry.path());
    for (const auto& path : inputs) {
        std::ifstream in(path, std::ios::binary);
        const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
        LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
    }
    std::printf("%s: %zu inputs replayed without a crash\n", WB_HARNESS, inputs.size());
    return 0;
}
