#include "ui/about_dialog.h"

#include <QMessageBox>
#include <QtGlobal>

#ifndef WB_VERSION
#define WB_VERSION "unknown"
#endif

namespace wb::ui {

QString applicationVersion() {
    return QStringLiteral(WB_VERSION);
}

QString aboutHtml() {
    return QMessageBox::tr(
               "<h2>Inference Workbench %1</h2>"
               "<p>Runs local GGUF language models on the CPU, shows where time and memory go, and simulates "
               "LPU-style hardware.</p>"
               "<p>Copyright © the Inference Workbench developers.<br>"
               "This program is free software: you can redistribute it and/or modify it under the terms of "
               "the <b>GNU General Public License, version 3 or (at your option) any later version</b> "
               "(GPL-3.0-or-later). It comes with ABSOLUTELY NO WARRANTY.</p>"
               "<p>Built with:</p><ul>"
               "<li>Qt %2 — LGPL-3.0</li>"
               "<li>QCustomPlot — GPL-3.0</li>"
               "<li>oneTBB — Apache-2.0</li>"
               "<li>Eigen — MPL-2.0</li>"
               "<li>nlohmann-json — MIT</li>"
               "</ul>")
        .arg(applicationVersion(), QString::fromLatin1(qVersion()));
}

void showAboutDialog(QWidget* parent) {
    QMessageBox::about(parent, QMessageBox::tr("About Inference Workbench"), aboutHtml());
}

} // namespace wb::ui
