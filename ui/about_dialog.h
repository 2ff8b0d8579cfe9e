#pragma once
// Help › About: version, the app's license and the licenses of the libraries it is built with.
#include <QString>

class QWidget;

namespace wb::ui {

QString applicationVersion();
QString aboutHtml();
void showAboutDialog(QWidget* parent);

} // namespace wb::ui
