// Build-time helper: renders the app's SVG icon to the PNG sizes desktops look up in the hicolor theme.
// usage: wb_render_icon ICON.svg OUTPUT_ROOT SIZE...  writes OUTPUT_ROOT/SIZExSIZE/apps/<svg base name>.png
#include <QDir>
#include <QFileInfo>
#include <QGuiApplication>
#include <QImage>
#include <QPainter>
#include <QSvgRenderer>

#include <cstdio>

int main(int argc, char* argv[]) {
    qputenv("QT_QPA_PLATFORM", "offscreen"); // no display at build time
    QGuiApplication app(argc, argv);
    const QStringList args = QGuiApplication::arguments();
    if (args.size() < 4) {
        std::fprintf(stderr, "usage: wb_render_icon ICON.svg OUTPUT_ROOT SIZE...\n");
        return 2;
    }
    QSvgRenderer renderer(args[1]);
    if (!renderer.isValid()) {
        std::fprintf(stderr, "wb_render_icon: cannot read SVG '%s'\n", qPrintable(args[1]));
        return 1;
    }
    const QString baseName = QFileInfo(args[1]).completeBaseName();
    for (qsizetype k = 3; k < args.size(); ++k) {
        bool ok = false;
        const int size = args[k].toInt(&ok);
        if (!ok || size <= 0 || size > 1024) {
            std::fprintf(stderr, "wb_render_icon: bad size '%s'\n", qPrintable(args[k]));
            return 2;
        }
        QImage image(size, size, QImage::Format_ARGB32_Premultiplied);
        image.fill(Qt::transparent);
        QPainter painter(&image);
        painter.setRenderHint(QPainter::Antialiasing);
        renderer.render(&painter);
        painter.end();
        const QString folder = QStringLiteral("%1/%2x%2/apps").arg(args[2]).arg(size);
        const QString target = QStringLiteral("%1/%2.png").arg(folder, baseName);
        if (!QDir().mkpath(folder) || !image.save(target, "PNG")) {
            std::fprintf(stderr, "wb_render_icon: cannot write '%s'\n", qPrintable(target));
            return 1;
        }
    }
    return 0;
}
