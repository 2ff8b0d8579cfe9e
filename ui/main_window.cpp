#include "ui/main_window.h"

#include "ui/about_dialog.h"
#include "ui/app_settings.h"
#include "ui/charts/performance_panel.h"
#include "ui/chat/chat_workspace.h"
#include "ui/chat/sampling_panel.h"
#include "ui/generation_controller.h"
#include "ui/gguf_drop.h"
#include "ui/model_controller.h"
#include "ui/model_overview.h"
#include "ui/model_panel.h"
#include "ui/recent_files.h"
#include "ui/start_page.h"
#ifdef WB_HAVE_SIMVIEWS
#include "visualizer/widgets/simulator_panel.h"
#endif

#include <QApplication>
#include <QCheckBox>
#include <QCloseEvent>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>
#include <QThread>

namespace wb::ui {
namespace {

constexpr int kStatusMessageMs = 8000;

QString windowTitleFor(const QString& document) {
    const QString app = QApplication::translate("MainWindow", "Inference Workbench");
    return document.isEmpty() ? app : QStringLiteral("%1 — %2").arg(document, app);
}

} // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(windowTitleFor({}));
    setWindowIcon(QIcon(QStringLiteral(":/icons/inference-workbench.svg")));
    setAcceptDrops(true);
    setDockNestingEnabled(true);
    setDocumentMode(true);

    controller_ = new ModelController(this);
    recentFiles_ = new RecentFiles(this);

    startPage_ = new StartPage(this);
    modelPanel_ = new ModelPanel(this);
    modelStack_ = new QStackedWidget(this);
    modelStack_->addWidget(startPage_);
    modelStack_->addWidget(modelPanel_);

    workspaces_ = new QTabWidget(this);
    workspaces_->setObjectName(QStringLiteral("workspaces"));
    workspaces_->setDocumentMode(true);
    workspaces_->setTabBarAutoHide(true); // one workspace needs no tab bar
    workspaces_->addTab(modelStack_, tr("Model"));
    setCentralWidget(workspaces_);
    // Live charts workspace (ui/charts): fed by the generation controller's pass and memory reports.
    performancePanel_ = new charts::PerformancePanel(this);
    addWorkspace(performancePanel_, tr("Performance"));
    // Chat (ui/chat) sits next to the Model tab; it owns the generation thread and feeds Performance.
    chat_ = new ChatWorkspace(this);
    workspaces_->insertTab(1, chat_, tr("Chat"));
    GenerationController* generation = chat_->generation();
    connect(generation, &GenerationController::generationStarted, performancePanel_, [this, generation] {
        performancePanel_->reset();
        const int threads = generation->model() ? generation->model()->threads : 0;
        performancePanel_->setEngineUsesEveryCore(threads >= QThread::idealThreadCount());
        // Else the panel would keep inviting the user to run a generation that is running.
        if (!chat_->samplingPanel()->telemetryBox()->isChecked())
            performancePanel_->showNotCharted(
                tr("This generation is not charted: \"Live performance charts\" is off in the Chat "
                   "workspace's sampling panel."));
    });
    // One call per batch (~20 a second), not one per pass.
    connect(generation, &GenerationController::passesReported, performancePanel_,
            [this](const PassBatch& batch) {
                if (batch.passes) performancePanel_->onPassesReported(*batch.passes);
            });
    connect(generation, &GenerationController::memoryReported, performancePanel_,
            &charts::PerformancePanel::onMemoryReported);
    connect(this, &MainWindow::modelShown, chat_,
            [this](OpenedModelPtr model) { chat_->loadModel(QString::fromStdString(model->info.path)); });
    connect(chat_, &ChatWorkspace::openModelRequested, this, &MainWindow::chooseModelFile);
    connect(chat_, &ChatWorkspace::unloadRequested, this, &MainWindow::closeModel);
    connect(chat_, &ChatWorkspace::demoModelReady, this, &MainWindow::openModelFile);
    connect(generation, &GenerationController::modelLoaded, this, [this](const LoadedModelInfo& loaded) {
        if (shownModel_ && QString::fromStdString(shownModel_->info.path) == loaded.path)
            loadedModel_ = shownModel_;
    });
    connect(generation, &GenerationController::loadCancelled, this, &MainWindow::onLoadCancelled);
    connect(chat_, &ChatWorkspace::autosaveErrorChanged, this, [this](const QString& error) {
        const QString prefix = tr("The conversation could not be saved");
        if (!error.isEmpty())
            statusBar()->showMessage(tr("%1: %2").arg(prefix, error));
        else if (statusBar()->currentMessage().startsWith(prefix))
            statusBar()->clearMessage();
    });
#ifdef WB_HAVE_SIMVIEWS
    // The LPU simulator (visualizer/widgets) compiles the model open here (the demo model included), else
    // its presets. It simulates on its own worker thread, and only while its tab is shown.
    simulator_ = new simviews::SimulatorPanel(this);
    simulator_->setObjectName(QStringLiteral("simulatorPanel"));
    addWorkspace(simulator_, tr("LPU Simulator"));
    connect(this, &MainWindow::modelShown, simulator_, [this](OpenedModelPtr model) {
        simulator_->setModelFile(QString::fromStdString(model->info.path));
    });
#endif

    modelStatus_ = new QLabel(tr("No model open"), this);
    statusBar()->addPermanentWidget(modelStatus_);
    statusBar()->showMessage(tr("Open a GGUF model with File › Open model… or drop one on the window."));
    if (!chat_->lastAutosaveError().isEmpty()) // set while the workspace restored the last conversation
        statusBar()->showMessage(
            tr("The conversation could not be saved: %1").arg(chat_->lastAutosaveError()));

    buildMenus();
    startPage_->setRecentFiles(recentFiles_->paths());
    // Export trace is enabled once the charted run has a pass (after the panel took it: connected later).
    connect(generation, &GenerationController::generationStarted, this, &MainWindow::updateExportTraceAction);
    connect(generation, &GenerationController::passesReported, this, &MainWindow::updateExportTraceAction);

    connect(startPage_, &StartPage::openRequested, this, &MainWindow::chooseModelFile);
    connect(startPage_, &StartPage::recentFileRequested, this, &MainWindow::openModelFile);
    connect(recentFiles_, &RecentFiles::changed, this, [this] {
        rebuildRecentMenu();
        startPage_->setRecentFiles(recentFiles_->paths());
    });
    connect(controller_, &ModelController::loadStarted, this, &MainWindow::onLoadStarted);
    connect(controller_, &ModelController::modelOpened, this, &MainWindow::onModelOpened);
    connect(controller_, &ModelController::openFailed, this, &MainWindow::onOpenFailed);

    resize(1280, 800);
}

MainWindow::~MainWindow() = default;

void MainWindow::buildMenus() {
    QMenu* fileMenu = menuBar()->addMenu(tr("&File"));
    fileMenu->setObjectName(QStringLiteral("fileMenu"));
    QAction* openAction = fileMenu->addAction(QIcon::fromTheme(QStringLiteral("document-open")),
                                              tr("&Open model…"), this, &MainWindow::chooseModelFile);
    openAction->setShortcut(QKeySequence::Open);
    recentMenu_ = fileMenu->addMenu(tr("Recent &models"));
    recentMenu_->setObjectName(QStringLiteral("recentMenu"));
    closeAction_ = fileMenu->addAction(tr("&Close model"), this, &MainWindow::closeModel);
    closeAction_->setShortcut(QKeySequence::Close);
    closeAction_->setEnabled(false);
    fileMenu->addSeparator();
    exportTraceAction_ = fileMenu->addAction(tr("&Export trace…"), this, &MainWindow::chooseTraceFile);
    exportTraceAction_->setObjectName(QStringLiteral("exportTraceAction"));
    exportTraceAction_->setStatusTip(tr("Write the last run's operations as a Chrome trace (JSON), to open "
                                        "in Perfetto or chrome://tracing."));
    connect(fileMenu, &QMenu::aboutToShow, this, &MainWindow::updateExportTraceAction); // after Clear
    updateExportTraceAction();
    fileMenu->addSeparator();
    QAction* quitAction = fileMenu->addAction(QIcon::fromTheme(QStringLiteral("application-exit")),
                                              tr("&Quit"), this, &QWidget::close);
    quitAction->setShortcut(QKeySequence::Quit);
    quitAction->setMenuRole(QAction::QuitRole);

    QMenu* viewMenu = menuBar()->addMenu(tr("&View"));
    viewMenu->setObjectName(QStringLiteral("viewMenu"));
    for (int k = 0; k < workspaces_->count(); ++k) {
        QWidget* page = workspaces_->widget(k);
        QAction* showTab = viewMenu->addAction(workspaces_->tabText(k), this,
                                               [this, page] { workspaces_->setCurrentWidget(page); });
        if (k < 9) showTab->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + k)));
    }
    menuBar()->addMenu(chat_->menu());
    QMenu* helpMenu = menuBar()->addMenu(tr("&Help"));
    QAction* aboutAction =
        helpMenu->addAction(tr("&About Inference Workbench"), this, [this] { showAboutDialog(this); });
    aboutAction->setMenuRole(QAction::AboutRole);
    helpMenu->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt)->setMenuRole(QAction::AboutQtRole);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
    recentMenu_->clear();
    const QStringList paths = recentFiles_->paths();
    for (int k = 0; k < paths.size(); ++k) {
        const QString& path = paths[k];
        // &1..&9 give keyboard accelerators; the full path is in the tooltip and status tip.
        const QString label = k < 9 ? QStringLiteral("&%1  %2").arg(k + 1).arg(QFileInfo(path).fileName())
                                    : QFileInfo(path).fileName();
        QAction* action = recentMenu_->addAction(label, this, [this, path] { openModelFile(path); });
        action->setData(path);
        action->setToolTip(path);
        action->setStatusTip(path);
    }
    if (!paths.isEmpty()) recentMenu_->addSeparator();
    QAction* clearAction = recentMenu_->addAction(tr("Clear list"), recentFiles_, &RecentFiles::clear);
    clearAction->setEnabled(!paths.isEmpty());
    recentMenu_->setEnabled(true);
}

void MainWindow::chooseModelFile() {
    const auto settings = openAppSettings();
    const QString folder = settings->value(settings_keys::kLastOpenFolder).toString();
    const QString path = QFileDialog::getOpenFileName(this, tr("Open model"), folder,
                                                      tr("GGUF models (*.gguf);;All files (*)"));
    if (path.isEmpty()) return;
    settings->setValue(settings_keys::kLastOpenFolder, QFileInfo(path).absolutePath());
    openModelFile(path);
}

void MainWindow::openModelFile(const QString& path) {
    controller_->open(path);
}

void MainWindow::closeModel() {
    chat_->unloadModel();
#ifdef WB_HAVE_SIMVIEWS
    simulator_->setModelFile({}); // back to the preset in use before
#endif
    loadedModel_.reset();
    showModelInfo(nullptr);
}

int MainWindow::addWorkspace(QWidget* page, const QString& title) {
    return workspaces_->addTab(page, title);
}

bool MainWindow::isLoading() const {
    return controller_->isLoading();
}

bool MainWindow::isShowingStartPage() const {
    return modelStack_->currentWidget() == startPage_;
}

void MainWindow::onLoadStarted(const QString& path) {
    statusBar()->showMessage(tr("Opening %1…").arg(QFileInfo(path).fileName()));
    QApplication::setOverrideCursor(Qt::BusyCursor);
}

void MainWindow::onModelOpened(OpenedModelPtr model) {
    QApplication::restoreOverrideCursor();
    const QString path = QString::fromStdString(model->info.path);
    lastError_.clear();
    showModelInfo(model);
    workspaces_->setCurrentWidget(modelStack_);
    statusBar()->showMessage(tr("Opened %1").arg(path), kStatusMessageMs);
    recentFiles_->add(path);
    Q_EMIT modelShown(model);
}

void MainWindow::showModelInfo(const OpenedModelPtr& model) {
    shownModel_ = model;
    modelPanel_->showModel(model);
    if (!model) {
        modelStack_->setCurrentWidget(startPage_);
        modelStatus_->setText(tr("No model open"));
        closeAction_->setEnabled(false);
        setWindowTitle(windowTitleFor({}));
        return;
    }
    modelStack_->setCurrentWidget(modelPanel_);
    closeAction_->setEnabled(true);
    setWindowTitle(windowTitleFor(QFileInfo(QString::fromStdString(model->info.path)).fileName()));
    modelStatus_->setText(QStringLiteral("%1 · %2").arg(displayName(*model), oneLineSummary(*model)));
}

void MainWindow::onLoadCancelled(const QString& path, bool restored) {
    // The Model tab showed the cancelled file's header (parsed when it was opened); go back to what the
    // generation thread really has, as the chat's model card does.
    const OpenedModelPtr back = restored ? loadedModel_ : nullptr;
    if (!back) loadedModel_.reset();
    showModelInfo(back);
#ifdef WB_HAVE_SIMVIEWS
    simulator_->setModelFile(back ? QString::fromStdString(back->info.path) : QString());
#endif
    statusBar()->showMessage(tr("Loading %1 was cancelled").arg(QFileInfo(path).fileName()),
                             kStatusMessageMs);
}

void MainWindow::onOpenFailed(const QString& path, const QString& message) {
    QApplication::restoreOverrideCursor();
    lastError_ = message;
    const QString fileName = QFileInfo(path).fileName();
    statusBar()->showMessage(tr("Could not open %1: %2").arg(fileName, message));
    if (!QFileInfo::exists(path)) recentFiles_->remove(path);

    // Window-modal but not blocking: the app (and any test or script driving it) keeps running.
    if (errorBox_) errorBox_->close();
    errorBox_ = new QMessageBox(QMessageBox::Warning, tr("Could not open model"),
                                tr("Could not open %1.").arg(fileName), QMessageBox::Ok, this);
    errorBox_->setObjectName(QStringLiteral("openErrorDialog"));
    errorBox_->setInformativeText(message);
    errorBox_->setDetailedText(path);
    errorBox_->setAttribute(Qt::WA_DeleteOnClose);
    errorBox_->open();
    Q_EMIT openFailed(path, message);
}

void MainWindow::restoreWindowState() {
    if (!persistWindowState_) return;
    const auto settings = openAppSettings();
    restoreGeometry(settings->value(settings_keys::kWindowGeometry).toByteArray());
    restoreState(settings->value(settings_keys::kWindowState).toByteArray());
}

void MainWindow::saveWindowState() {
    if (!persistWindowState_) return;
    const auto settings = openAppSettings();
    settings->setValue(settings_keys::kWindowGeometry, saveGeometry());
    settings->setValue(settings_keys::kWindowState, saveState());
    settings->sync();
}

void MainWindow::chooseTraceFile() {
    // Window-modal but not blocking, like the error box.
    auto* dialog = new QFileDialog(this, tr("Export trace"), QStringLiteral("trace.json"),
                                   tr("Chrome trace (*.json);;All files (*)"));
    dialog->setObjectName(QStringLiteral("exportTraceDialog"));
    dialog->setAcceptMode(QFileDialog::AcceptSave);
    dialog->setDefaultSuffix(QStringLiteral("json"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QFileDialog::fileSelected, this, &MainWindow::exportTrace);
    dialog->open();
}

bool MainWindow::exportTrace(const QString& path) {
    if (performancePanel_->exportChromeTrace(path)) { // the Performance panel's own exporter
        statusBar()->showMessage(tr("Trace written to %1").arg(path), kStatusMessageMs);
        return true;
    }
    const QString error = performancePanel_->lastError();
    statusBar()->showMessage(tr("Could not export the trace: %1").arg(error));
    auto* box = new QMessageBox(QMessageBox::Warning, tr("Could not export the trace"),
                                tr("Could not write %1.").arg(path), QMessageBox::Ok, this);
    box->setInformativeText(error);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
    return false;
}

void MainWindow::updateExportTraceAction() {
    exportTraceAction_->setEnabled(performancePanel_->aggregator().passCount() > 0);
}

void MainWindow::closeEvent(QCloseEvent* event) {
#ifdef WB_HAVE_SIMVIEWS
    simulator_->cancelSimulation(); // a long simulation stops at its next layer instead of delaying exit
#endif
    saveWindowState();
    event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (!ggufPathFromMime(event->mimeData()).isEmpty()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    const QString path = ggufPathFromMime(event->mimeData());
    if (path.isEmpty()) return;
    event->acceptProposedAction();
    openModelFile(path);
}

} // namespace wb::ui
