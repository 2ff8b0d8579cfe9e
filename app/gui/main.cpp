// inference-workbench: the desktop app. All behaviour lives in wb_ui; this only sets up QApplication.
#include "ui/about_dialog.h"
#include "ui/app_launcher.h"
#include "ui/main_window.h"

#include <QApplication>
#include <QIcon>
#include <QStyleFactory>

#include <cstdio>

int main(int argc, char* argv[]) {
    QApplication::setOrganizationName(QStringLiteral("InferenceWorkbench"));
    QApplication::setApplicationName(QStringLiteral("inference-workbench"));
    QApplication::setApplicationVersion(wb::ui::applicationVersion());
    // Matches the installed inference-workbench.desktop (packaging/), so Wayland shells find the icon.
    QGuiApplication::setDesktopFileName(QStringLiteral("inference-workbench"));
    QApplication app(argc, argv);
    // Fusion draws the same on every desktop and follows the platform's light or dark palette.
    if (QStyleFactory::keys().contains(QStringLiteral("Fusion"), Qt::CaseInsensitive))
        QApplication::setStyle(QStringLiteral("Fusion"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/inference-workbench.svg")));

    const wb::ui::ParsedCommandLine parsed = wb::ui::parseCommandLine(QApplication::arguments());
    if (!parsed.options) {
        std::fputs(qPrintable(parsed.output), parsed.exitCode == 0 ? stdout : stderr);
        return parsed.exitCode;
    }
    wb::ui::MainWindow window;
    wb::ui::launch(window, *parsed.options);
    return QApplication::exec();
}
