#pragma once
// The loaded model at a glance, next to the chat: architecture, parameters, quantization mix, trained and
// chosen context, and memory for the weights plus the KV cache at the chosen context (computed by the
// engine, kvCacheBytesFor). Also the load progress, and the buttons to open, try the demo, or unload.
#include "ui/generation_types.h"

#include <QWidget>

#include <optional>

class QLabel;
class QProgressBar;
class QPushButton;

namespace wb::ui {

class ModelCard : public QWidget {
    Q_OBJECT
public:
    explicit ModelCard(QWidget* parent = nullptr);

    // cancellable: show the Cancel button next to the progress bar (not while the demo file is written).
    void showLoading(const QString& path, bool cancellable = true);
    void setLoadProgress(double fraction);
    void showModel(const LoadedModelInfo& model);
    void showNoModel(const QString& message = {});
    // The context and cache type the next generation will use (0: the model's default).
    void setChosenContext(int contextLength, KvCacheType type);

    QString text() const; // everything the card says, as plain text (tests)
    std::uint64_t kvBytesShown() const { return kvBytes_; }
    QProgressBar* progressBar() const { return progress_; }
    QPushButton* openButton() const { return openButton_; }
    QPushButton* demoButton() const { return demoButton_; }
    QPushButton* unloadButton() const { return unloadButton_; }
    QPushButton* cancelLoadButton() const { return cancelButton_; }
    QLabel* randomWeightsBanner() const { return banner_; }

Q_SIGNALS:
    void openRequested();
    void demoRequested();
    void unloadRequested();
    void cancelLoadRequested();

private:
    void refresh();

    std::optional<LoadedModelInfo> model_;
    int chosenContext_ = 0;
    KvCacheType chosenKv_ = KvCacheType::F16;
    std::uint64_t kvBytes_ = 0;
    QLabel* title_ = nullptr;
    QLabel* banner_ = nullptr;
    QLabel* details_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QPushButton* openButton_ = nullptr;
    QPushButton* demoButton_ = nullptr;
    QPushButton* unloadButton_ = nullptr;
    QPushButton* cancelButton_ = nullptr; // next to the progress bar while a model loads
};

QString formatBytes(std::uint64_t bytes); // "1.13 MiB"
QString formatCount(std::uint64_t count); // "11.3 M", "292.8 K", "7.24 B"

} // namespace wb::ui
