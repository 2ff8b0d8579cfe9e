#pragma once
// Survives a mapped file that shrinks while in use (truncated, or rewritten in place by another program).
// Reading a page of a MAP_SHARED mapping that now lies beyond the end of the file raises SIGBUS, which
// would kill the whole app. MappedFile registers every mapping here; a process-wide SIGBUS handler that
// finds the faulting address inside a registered range puts a zero-filled page at that address, marks the
// range as faulted and lets the reading thread continue. Callers that read the mapping (the forward pass)
// ask faulted() afterwards and turn it into an error for that session only.
//
// Why not sigsetjmp/siglongjmp: the forward pass reads the weights on oneTBB worker threads, and jumping
// out of a TBB task would corrupt the scheduler. Replacing the page keeps every thread on its normal path;
// the zeros it reads are never used, because the result is thrown away.
//
// A SIGBUS outside every registered range goes back to the previously installed action (or the default),
// which stays installed from then on: such a fault ends the process anyway.
#include <cstddef>
#include <stdexcept>
#include <string>

namespace wb::mapping_guard {

// Guards [begin, begin + size). Installs the handler on first use. Silently unguarded when all slots
// are taken (a few hundred mappings at once).
void registerRange(const void* begin, std::size_t size);
// Stops guarding the range that starts at `begin` (before it is unmapped).
void unregisterRange(const void* begin);
// True once a read inside the registered range that contains `address` hit a page beyond the file's end.
// Sticky until the range is unregistered: the data can no longer be trusted.
bool faulted(const void* address);

// The error for a faulted mapping: "model file changed on disk (truncated?) while in use: <path>".
class FileChangedError : public std::runtime_error {
public:
    explicit FileChangedError(const std::string& path);
};

} // namespace wb::mapping_guard
