#pragma once
// --mmap, --no-mmap and --no-repack, shared by the commands that load a model for speed (generate, bench).
#include "cli_args.h"
#include "engine/model/model.h"

namespace wb::cli {

void declareLoadFlags(ArgParser& parser);
// Placement Automatic unless one of the flags forces one (both together are a usage error); repacking on
// unless --no-repack.
LoadOptions loadOptionsFromFlags(const ArgParser& parser);

} // namespace wb::cli
