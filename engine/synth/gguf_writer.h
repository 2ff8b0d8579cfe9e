#pragma once
// Moved: the writer belongs to the core GGUF module. Include engine/gguf/gguf_writer.h.
#include "engine/gguf/gguf_writer.h"
