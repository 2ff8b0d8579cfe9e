#pragma once
// The application shell: menus, status bar, drag and drop, and a tab area ("workspaces") that starts
// with the Model tab, then Chat, Performance and the LPU Simulator (View › Ctrl+1…4 switch between them).
// Later features join as more tabs through addWorkspace() or as dock widgets around it (QMainWindow dock
// areas, nesting enabled).
#include "ui/opened_model.h"

#include <QMainWindow>
#include <QPointer>

class QLabel;
class QMenu;
class QMessageBox;
class QStackedWidget;
class QTabWidget;

namespace wb::simviews {
class SimulatorPanel;
}

namespace wb::ui {

namespace charts {
class PerformancePanel;
}
class ChatWorkspace;
class ModelController;
class ModelPanel;
class RecentFiles;
class StartPage;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Opens a model file exactly as File › Open, drag and drop and the command line do.
    void openModelFile(const QString& path);
    void closeModel();

    // Adds a tab next to the Model tab; returns its index.
    int addWorkspace(QWidget* page, const QString& title);

    // When off, geometry and window state are neither restored nor saved (screenshots, tests).
    void setPersistWindowState(bool persist) { persistWindowState_ = persist; }
    void restoreWindowState();

    bool isLoading() const;
    bool isShowingStartPage() const;
    QString lastError() const { return lastError_; }
    ModelController* controller() const { return controller_; }
    ModelPanel* modelPanel() const { return modelPanel_; }
    // Live charts ("Performance" workspace); the generation controller's passReported/memoryReported go here.
    charts::PerformancePanel* performancePanel() const { return performancePanel_; }
    // The "Chat" workspace; owns the GenerationController (the engine's worker thread).
    ChatWorkspace* chatWorkspace() const { return chat_; }
    // The "LPU Simulator" workspace (visualizer/widgets); null in builds without the simulator views.
    // It simulates the model open here (setModelFile), else its presets.
    simviews::SimulatorPanel* simulatorPanel() const { return simulator_; }
    // File › Export trace…: the last run's Chrome trace, through the Performance panel's exporter.
    // Enabled once a run reported a pass; exportTrace() is what it does after asking for the file.
    QAction* exportTraceAction() const { return exportTraceAction_; }
    bool exportTrace(const QString& path);
    StartPage* startPage() const { return startPage_; }
    RecentFiles* recentFiles() const { return recentFiles_; }
    QTabWidget* workspaces() const { return workspaces_; }
    QMenu* recentMenu() const { return recentMenu_; }

Q_SIGNALS:
    void modelShown(wb::ui::OpenedModelPtr model);
    void openFailed(const QString& path, const QString& message);

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void buildMenus();
    void chooseModelFile();
    void rebuildRecentMenu();
    void onLoadStarted(const QString& path);
    void onModelOpened(OpenedModelPtr model);
    // The Model tab, title and status line for `model` (null: the start page), without loading it.
    void showModelInfo(const OpenedModelPtr& model);
    // The chat's load of `path` was cancelled: show the model it went back to (or none).
    void onLoadCancelled(const QString& path, bool restored);
    void onOpenFailed(const QString& path, const QString& message);
    void saveWindowState();
    void chooseTraceFile();
    void updateExportTraceAction();

    ModelController* controller_ = nullptr;
    RecentFiles* recentFiles_ = nullptr;
    QTabWidget* workspaces_ = nullptr;
    QStackedWidget* modelStack_ = nullptr;
    StartPage* startPage_ = nullptr;
    ModelPanel* modelPanel_ = nullptr;
    charts::PerformancePanel* performancePanel_ = nullptr;
    ChatWorkspace* chat_ = nullptr;
    simviews::SimulatorPanel* simulator_ = nullptr;
    QMenu* recentMenu_ = nullptr;
    QAction* exportTraceAction_ = nullptr;
    QAction* closeAction_ = nullptr;
    QLabel* modelStatus_ = nullptr;
    QPointer<QMessageBox> errorBox_;
    QString lastError_;
    OpenedModelPtr shownModel_;  // the header on the Model tab; being loaded for generation, or loaded
    OpenedModelPtr loadedModel_; // the model the generation thread has loaded (what a cancel goes back to)
    bool persistWindowState_ = true;
};

} // namespace wb::ui
