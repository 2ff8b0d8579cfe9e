#include "load_flags.h"

namespace wb::cli {

void declareLoadFlags(ArgParser& parser) {
    parser.flag("", "--mmap",
                "map the file (llama.cpp's default; the weights stay in 4 KiB page-cache pages, shared with "
                "other processes)");
    parser.flag("", "--no-mmap",
                "copy the weights into memory backed by 2 MiB pages, or fail if they do not fit (the "
                "default maps a file whose weights are mostly repacked, and otherwise copies one larger than "
                "the CPU cache when it takes at most half of the available memory)");
    parser.flag("", "--no-repack",
                "keep Q4_0/Q8_0/Q4_K/Q6_K weights in the file's layout (by default they are repacked at load "
                "into 16-row "
                "groups in 2 MiB pages where the AVX-512 kernels run; llama-bench -nr 1)");
}

LoadOptions loadOptionsFromFlags(const ArgParser& parser) {
    const bool map = parser.has("--mmap");
    const bool copy = parser.has("--no-mmap");
    if (map && copy) throw UsageError("--mmap and --no-mmap contradict each other; give at most one");
    LoadOptions options;
    options.placement = map    ? FilePlacement::Mapped
                        : copy ? FilePlacement::HugePageCopy
                               : FilePlacement::Automatic;
    options.repack = !parser.has("--no-repack");
    return options;
}

} // namespace wb::cli
