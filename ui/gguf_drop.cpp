#include "ui/gguf_drop.h"

#include <QMimeData>
#include <QUrl>

namespace wb::ui {

QString ggufPathFromMime(const QMimeData* mime) {
    if (mime == nullptr || !mime->hasUrls()) return {};
    for (const QUrl& url : mime->urls()) {
        if (!url.isLocalFile()) continue;
        const QString path = url.toLocalFile();
        if (path.endsWith(QStringLiteral(".gguf"), Qt::CaseInsensitive)) return path;
    }
    return {};
}

} // namespace wb::ui
