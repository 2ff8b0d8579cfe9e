#include "engine/tensor/quantize_k.h"

#include <stdexcept>
#include <string>

namespace wb {

bool canQuantizeK(GgmlType) { return false; }

void quantizeRowK(GgmlType type, const float*, std::uint8_t*, std::int64_t) {
    throw std::invalid_argument("quantizeRow: cannot quantize to tensor type " + std::string(ggmlTypeName(type)));
}

} // namespace wb
