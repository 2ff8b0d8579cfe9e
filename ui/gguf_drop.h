#pragma once
// Which dropped item, if any, is a GGUF file the window should open.
#include <QString>

class QMimeData;

namespace wb::ui {

// The first local file among the dropped URLs whose name ends in .gguf (any case); empty if none.
QString ggufPathFromMime(const QMimeData* mime);

} // namespace wb::ui
