#pragma once
// The sampling and context controls with named presets. Every control has a tooltip saying what it does
// and which value turns it off; settings() reads them all into one GenerationSettings.
#include "ui/chat/sampling_presets.h"
#include "ui/generation_types.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace wb::ui {

// "a, b\,c, \n" → {"a", "b,c", "\n"}: commas separate, backslash escapes \n \t \, and \\.
QStringList parseStopStrings(const QString& text);
QString formatStopStrings(const QStringList& stops);

class SamplingPanel : public QWidget {
    Q_OBJECT
public:
    explicit SamplingPanel(QWidget* parent = nullptr);

    GenerationSettings settings() const;
    void setSettings(const GenerationSettings& settings);
    // Applies a preset by name (false if unknown) / saves the current values under a new name.
    bool applyPreset(const QString& name);
    bool savePreset(const QString& name, QString* error = nullptr);
    bool deletePreset(const QString& name);
    QStringList presetNames() const;
    QString currentPreset() const;

    // Controls, for tests and for the window's keyboard focus chain.
    QComboBox* presetBox() const { return presetBox_; }
    QPushButton* savePresetButton() const { return savePresetButton_; }
    QPushButton* deletePresetButton() const { return deletePresetButton_; }
    QDoubleSpinBox* temperatureBox() const { return temperature_; }
    QSpinBox* topKBox() const { return topK_; }
    QDoubleSpinBox* topPBox() const { return topP_; }
    QDoubleSpinBox* minPBox() const { return minP_; }
    QDoubleSpinBox* repeatPenaltyBox() const { return repeatPenalty_; }
    QSpinBox* repeatWindowBox() const { return repeatWindow_; }
    QSpinBox* seedBox() const { return seed_; }
    QCheckBox* randomSeedBox() const { return randomSeed_; }
    QSpinBox* maxTokensBox() const { return maxTokens_; }
    QLineEdit* stopStringsEdit() const { return stopStrings_; }
    QSpinBox* threadsBox() const { return threads_; }
    QSpinBox* contextLengthBox() const { return contextLength_; }
    QComboBox* kvCacheBox() const { return kvCache_; }
    QCheckBox* telemetryBox() const { return telemetry_; }

Q_SIGNALS:
    void settingsChanged();

private:
    void refreshPresetBox(const QString& select);
    void askPresetName();

    SamplingPresets presets_;
    QComboBox* presetBox_ = nullptr;
    QPushButton* savePresetButton_ = nullptr;
    QPushButton* deletePresetButton_ = nullptr;
    QDoubleSpinBox* temperature_ = nullptr;
    QSpinBox* topK_ = nullptr;
    QDoubleSpinBox* topP_ = nullptr;
    QDoubleSpinBox* minP_ = nullptr;
    QDoubleSpinBox* repeatPenalty_ = nullptr;
    QSpinBox* repeatWindow_ = nullptr;
    QSpinBox* seed_ = nullptr;
    QCheckBox* randomSeed_ = nullptr;
    QSpinBox* maxTokens_ = nullptr;
    QLineEdit* stopStrings_ = nullptr;
    QSpinBox* threads_ = nullptr;
    QSpinBox* contextLength_ = nullptr;
    QComboBox* kvCache_ = nullptr;
    QCheckBox* telemetry_ = nullptr;
    bool applying_ = false;
};

} // namespace wb::ui
