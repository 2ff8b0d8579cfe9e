#pragma once
// Helpers shared by the synth and quantize tests: deep value comparison, dequantized tensors, file hashes.
#include "engine/gguf/gguf_file.h"
#include "engine/tensor/dequantize.h"
#include "tests/support/test_models.h"

#include <QCryptographicHash>
#include <QFile>
#include <QProcess>
#include <QString>

#include <cmath>
#include <vector>

namespace wb::test {

inline bool sameValue(const gguf::Value& a, const gguf::Value& b) {
    if (a.type != b.type) return false;
    if (const auto* arrayA = a.array()) {
        const auto* arrayB = b.array();
        if (arrayB == nullptr || arrayA->elementType != arrayB->elementType ||
            arrayA->items.size() != arrayB->items.size())
            return false;
        for (std::size_t i = 0; i < arrayA->items.size(); ++i)
            if (!sameValue(arrayA->items[i], arrayB->items[i])) return false;
        return true;
    }
    if (a.data.index() != b.data.index()) return false;
    if (const auto* text = a.string()) return *text == *b.string();
    if (a.isInteger()) return a.toInt() == b.toInt() && a.toUInt() == b.toUInt();
    if (const auto flag = a.toBool(); a.type == gguf::ValueType::Bool) return flag == b.toBool();
    return a.toDouble() == b.toDouble();
}

inline std::vector<float> tensorAsFloats(const gguf::GgufFile& file, const gguf::TensorInfo& tensor) {
    std::vector<float> values(tensor.elementCount);
    const auto bytes = file.tensorBytes(tensor);
    const std::size_t rowBytes = tensor.byteSize / tensor.rows();
    for (std::uint64_t row = 0; row < tensor.rows(); ++row)
        dequantizeRow(tensor.type, bytes.data() + row * rowBytes, values.data() + row * tensor.ne[0],
                      static_cast<std::int64_t>(tensor.ne[0]));
    return values;
}

// ||a - b|| / ||b||
inline double relativeRmsError(const std::vector<float>& a, const std::vector<float>& b) {
    double diff = 0.0, norm = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        diff += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
        norm += double(b[i]) * b[i];
    }
    return std::sqrt(diff / norm);
}

inline QByteArray fileSha256(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) return {};
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(&file);
    return hash.result().toHex();
}

} // namespace wb::test
