// Memory residency: mincore on a freshly mapped file rises as it is read, per-tensor and per-layer sums
// follow the pages touched, sampling a 1 GiB mapping is quick; process RSS from /proc/self/statm.
#include "engine/gguf/gguf_file.h"
#include "engine/telemetry/residency.h"
#include "engine/util/mapped_file.h"
#include "tests/support/test_models.h"

#include <QTemporaryDir>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <vector>

using namespace wb;
using namespace wb::telemetry;

namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;

// Writes `size` bytes, syncs them to disk and drops them from the page cache, so a fresh mapping starts
// (almost) non-resident. Source for the semantics: posix_fadvise(2), POSIX_FADV_DONTNEED.
void writeColdFile(const std::string& path, std::size_t size) {
    const int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0600);
    QVERIFY2(fd >= 0, path.c_str());
    std::vector<char> chunk(kMiB);
    for (std::size_t written = 0; written < size; written += chunk.size()) {
        std::memset(chunk.data(), static_cast<int>(written / kMiB) + 1, chunk.size());
        QVERIFY(::write(fd, chunk.data(), chunk.size()) == static_cast<ssize_t>(chunk.size()));
    }
    QVERIFY(::fdatasync(fd) == 0);
    QVERIFY(::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0);
    ::close(fd);
}

std::uint64_t touch(const std::uint8_t* data, std::size_t offset, std::size_t size) {
    std::uint64_t sum = 0;
    for (std::size_t i = offset; i < offset + size; i += 4096)
        sum += data[i];
    return sum;
}

} // namespace

class MemoryTest : public QObject {
    Q_OBJECT
private slots:
    void residencyOfAFreshMappingRisesWhenRead() {
        // In the build tree, not /tmp: tmpfs pages can never leave memory.
        QTemporaryDir dir(QStringLiteral(WB_BINARY_DIR "/telemetry-residency-XXXXXX"));
        QVERIFY(dir.isValid());
        const std::string path = dir.filePath("cold.bin").toStdString();
        constexpr std::size_t kSize = 64 * kMiB;
        writeColdFile(path, kSize);

        MappedFile mapped(path);
        QCOMPARE(mapped.size(), kSize);
        // No read-ahead: only the pages this test reads come in.
        ::madvise(const_cast<std::uint8_t*>(mapped.data()), kSize, MADV_RANDOM);
        const std::uint64_t before = residentBytes(mapped.data(), kSize);
        qInfo("fresh mapping: %.1f MiB of 64 resident", static_cast<double>(before) / kMiB);
        QVERIFY2(before < kSize / 4, "the page cache was not dropped (is the build tree on tmpfs?)");

        // Four "tensors" in two layers plus a global one, at unaligned offsets with gaps between them.
        const std::vector<TensorRange> ranges = {
            {"blk.0.attn_q.weight", 0, 1 * kMiB + 100, 8 * kMiB},
            {"blk.0.ffn_up.weight", 0, 12 * kMiB + 7, 8 * kMiB},
            {"blk.1.attn_q.weight", 1, 24 * kMiB + 3000, 8 * kMiB + 5},
            {"output.weight", -1, 40 * kMiB + 1, 16 * kMiB},
        };
        const std::uint64_t sum = touch(mapped.data(), ranges[2].offset, ranges[2].size);
        QVERIFY(sum > 0);
        const ResidencySnapshot snapshot = sampleResidency(mapped.data(), ranges);
        QCOMPARE(snapshot.tensors.size(), std::size_t{4});
        QCOMPARE(snapshot.tensors[2].resident, ranges[2].size); // every byte of the read tensor
        QVERIFY(snapshot.tensors[0].resident < ranges[0].size / 4);
        QVERIFY(snapshot.tensors[3].resident < ranges[3].size / 4);
        QCOMPARE(snapshot.layers.size(), std::size_t{3});
        QCOMPARE(snapshot.layers[0].layer, -1);
        QCOMPARE(snapshot.layers[1].layer, 0);
        QCOMPARE(snapshot.layers[1].size, std::uint64_t{16 * kMiB});
        QCOMPARE(snapshot.layers[2].layer, 1);
        QCOMPARE(snapshot.layers[2].resident, ranges[2].size);
        QCOMPARE(snapshot.totalSize, std::uint64_t{40 * kMiB + 5});

        // Reading the whole file makes all of it resident.
        QVERIFY(touch(mapped.data(), 0, kSize) > 0);
        QCOMPARE(residentBytes(mapped.data(), kSize), std::uint64_t{kSize});
        const ResidencySnapshot after = sampleResidency(mapped.data(), ranges);
        QCOMPARE(after.totalResident, after.totalSize);
        // Unaligned sub-ranges are clipped exactly.
        QCOMPARE(residentBytes(mapped.data() + 123, 4000), std::uint64_t{4000});
        QCOMPARE(residentBytes(mapped.data() + 4090, 10), std::uint64_t{10});
    }

    void samplingAGigabyteMappingIsQuick() {
        constexpr std::size_t kSize = 1024 * kMiB;
        void* mapping = ::mmap(nullptr, kSize, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        QVERIFY(mapping != MAP_FAILED);
        const std::vector<TensorRange> ranges = {{"a", 0, 0, kSize / 2}, {"b", 1, kSize / 2, kSize / 2}};
        double best = 1e9;
        for (int i = 0; i < 5; ++i)
            best = std::min(best, sampleResidency(mapping, ranges).sampleMs);
        ::munmap(mapping, kSize);
        qInfo("residency of a 1 GiB mapping sampled in %.2f ms (best of 5)", best);
        QVERIFY2(best < 100, "sampling 1 GiB should take milliseconds");
    }

    void stories260KTensorRanges() {
        WB_REQUIRE_MODEL("stories260K.gguf", path);
        const auto file = gguf::GgufFile::open(path.toStdString());
        const std::vector<TensorRange> ranges = tensorRanges(file);
        QCOMPARE(ranges.size(), std::size_t{48});
        int blockTensors = 0;
        for (const TensorRange& range : ranges) {
            QVERIFY(range.offset + range.size <= file.fileSize());
            if (range.layer >= 0) ++blockTensors;
        }
        QCOMPARE(blockTensors, 45);
        // Parse the whole file's tensors: reading them makes them resident.
        std::uint64_t sum = 0;
        for (const auto& tensor : file.tensors())
            for (std::uint8_t byte : file.tensorBytes(tensor))
                sum += byte;
        QVERIFY(sum > 0);
        const ResidencySnapshot snapshot = sampleResidency(file.bytes().data(), ranges);
        QCOMPARE(snapshot.totalSize, std::uint64_t{292800 * 4});
        QCOMPARE(snapshot.totalResident, snapshot.totalSize);
        QCOMPARE(snapshot.layers.size(), std::size_t{6});
        QCOMPARE(layerOfTensorName("blk.12.attn_q.weight"), 12);
        QCOMPARE(layerOfTensorName("blk.x.attn_q.weight"), -1);
        QCOMPARE(layerOfTensorName("token_embd.weight"), -1);
    }

    void processMemoryFollowsAllocations() {
        const ProcessMemory before = readProcessMemory();
        QVERIFY(before.residentBytes > 0);
        QVERIFY(before.virtualBytes >= before.residentBytes);
        constexpr std::size_t kSize = 64 * kMiB;
        void* block = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        QVERIFY(block != MAP_FAILED);
        std::memset(block, 1, kSize);
        const ProcessMemory after = readProcessMemory();
        ::munmap(block, kSize);
        QVERIFY2(after.residentBytes >= before.residentBytes + kSize * 9 / 10,
                 "RSS did not grow by the 64 MiB touched");

        const auto counters =
            memoryCounters(ResidencySnapshot{5, {}, {}, 100, 40, 0}, after, EngineMemory{1000, 250, 64});
        QCOMPARE(counters.size(), std::size_t{2});
        QCOMPARE(counters[0].series[0].second, 40.0);
        QCOMPARE(counters[1].series[2].second, 250.0);
    }
};

QTEST_GUILESS_MAIN(MemoryTest)
#include "test_memory.moc"
