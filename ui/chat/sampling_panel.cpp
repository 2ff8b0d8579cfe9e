#include "ui/chat/sampling_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <limits>

namespace wb::ui {
namespace {

QDoubleSpinBox* doubleBox(QWidget* parent, double min, double max, double step, int decimals) {
    auto* box = new QDoubleSpinBox(parent);
    box->setRange(min, max);
    box->setSingleStep(step);
    box->setDecimals(decimals);
    return box;
}

QSpinBox* intBox(QWidget* parent, int min, int max, const QString& specialText = {}) {
    auto* box = new QSpinBox(parent);
    box->setRange(min, max);
    if (!specialText.isEmpty()) box->setSpecialValueText(specialText);
    return box;
}

} // namespace

QStringList parseStopStrings(const QString& text) {
    QStringList stops;
    QString current;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        if (c == QLatin1Char('\\') && i + 1 < text.size()) {
            const QChar next = text[++i];
            if (next == QLatin1Char('n'))
                current += QLatin1Char('\n');
            else if (next == QLatin1Char('t'))
                current += QLatin1Char('\t');
            else
                current += next; // \, and \\ and anything else: the character itself
        } else if (c == QLatin1Char(',')) {
            stops.append(current);
            current.clear();
        } else {
            current += c;
        }
    }
    if (!current.isEmpty()) stops.append(current);
    // Spaces around the separators are layout, not part of a stop string (escaped newlines and tabs are).
    for (QString& stop : stops) {
        while (stop.startsWith(QLatin1Char(' ')))
            stop.remove(0, 1);
        while (stop.endsWith(QLatin1Char(' ')))
            stop.chop(1);
    }
    stops.removeAll(QString());
    return stops;
}

QString formatStopStrings(const QStringList& stops) {
    QStringList escaped;
    for (QString stop : stops) {
        stop.replace(QLatin1String("\\"), QLatin1String("\\\\"));
        stop.replace(QLatin1String(","), QLatin1String("\\,"));
        stop.replace(QLatin1String("\n"), QLatin1String("\\n"));
        stop.replace(QLatin1String("\t"), QLatin1String("\\t"));
        escaped.append(stop);
    }
    return escaped.join(QStringLiteral(", "));
}

SamplingPanel::SamplingPanel(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("samplingPanel"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);

    auto* presetRow = new QHBoxLayout;
    presetBox_ = new QComboBox(this);
    presetBox_->setObjectName(QStringLiteral("presetBox"));
    presetBox_->setToolTip(tr("Named sets of all the values below. Choosing one applies it."));
    savePresetButton_ = new QPushButton(tr("Save as…"), this);
    savePresetButton_->setToolTip(tr("Save the current values as a new named preset."));
    deletePresetButton_ = new QPushButton(tr("Delete"), this);
    deletePresetButton_->setToolTip(tr("Delete the selected preset (built-in presets cannot be deleted)."));
    presetRow->addWidget(presetBox_, 1);
    presetRow->addWidget(savePresetButton_);
    presetRow->addWidget(deletePresetButton_);
    layout->addLayout(presetRow);

    auto* samplingGroup = new QGroupBox(tr("Sampling"), this);
    auto* form = new QFormLayout(samplingGroup);
    temperature_ = doubleBox(this, 0.0, 5.0, 0.05, 2);
    temperature_->setSpecialValueText(tr("0 (greedy)"));
    temperature_->setToolTip(tr("Divides the logits before the random draw. Lower is more predictable; "
                                "0 always takes the most likely token (greedy)."));
    form->addRow(tr("Temperature"), temperature_);
    topK_ = intBox(this, 0, 100000, tr("off"));
    topK_->setToolTip(tr("Keep only the K most likely tokens before drawing. 0 turns it off."));
    form->addRow(tr("Top-k"), topK_);
    topP_ = doubleBox(this, 0.0, 1.0, 0.01, 2);
    topP_->setToolTip(
        tr("Keep the most likely tokens until their probabilities add up to P. 1 turns it off."));
    form->addRow(tr("Top-p"), topP_);
    minP_ = doubleBox(this, 0.0, 1.0, 0.01, 2);
    minP_->setSpecialValueText(tr("off"));
    minP_->setToolTip(tr("Drop tokens less likely than P times the most likely one. 0 turns it off."));
    form->addRow(tr("Min-p"), minP_);
    repeatPenalty_ = doubleBox(this, 0.5, 3.0, 0.05, 2);
    repeatPenalty_->setToolTip(tr("Makes tokens seen in the recent window less likely (llama.cpp's "
                                  "repeat penalty). 1 turns it off."));
    form->addRow(tr("Repeat penalty"), repeatPenalty_);
    repeatWindow_ = intBox(this, -1, 1 << 20, tr("all tokens"));
    repeatWindow_->setToolTip(tr("How many recent tokens the repeat penalty looks at. -1: all of them; "
                                 "0 turns penalties off."));
    form->addRow(tr("Repeat window"), repeatWindow_);
    auto* seedRow = new QHBoxLayout;
    seed_ = intBox(this, 0, std::numeric_limits<int>::max());
    seed_->setToolTip(
        tr("Starts the random generator: the same seed, prompt and settings give the same text."));
    randomSeed_ = new QCheckBox(tr("Random"), this);
    randomSeed_->setToolTip(tr("Use a new seed for every generation (the seed used is kept in the "
                               "message's statistics)."));
    seedRow->addWidget(seed_, 1);
    seedRow->addWidget(randomSeed_);
    form->addRow(tr("Seed"), seedRow);
    maxTokens_ = intBox(this, -1, 1 << 20, tr("until the end"));
    maxTokens_->setToolTip(tr("Stop after this many generated tokens. -1: until the model ends its text "
                              "or the context is full."));
    form->addRow(tr("Max tokens"), maxTokens_);
    stopStrings_ = new QLineEdit(this);
    stopStrings_->setObjectName(QStringLiteral("stopStrings"));
    stopStrings_->setPlaceholderText(tr("e.g. \\n\\n, THE END"));
    stopStrings_->setToolTip(tr("Generation stops before any of these texts; they are not shown. Separate "
                                "them with commas; write \\n for a new line and \\, for a comma."));
    form->addRow(tr("Stop strings"), stopStrings_);
    layout->addWidget(samplingGroup);

    auto* contextGroup = new QGroupBox(tr("Context"), this);
    auto* contextForm = new QFormLayout(contextGroup);
    threads_ = intBox(this, 0, 1024, tr("auto (physical cores)"));
    threads_->setToolTip(tr("Threads for the forward pass. Generation is limited by memory bandwidth, so "
                            "more threads than physical cores rarely help."));
    contextForm->addRow(tr("Threads"), threads_);
    contextLength_ = intBox(this, 0, 1 << 20, tr("model default"));
    contextLength_->setSingleStep(256);
    contextLength_->setToolTip(tr("Tokens the model can see at once (prompt + reply). The KV cache grows "
                                  "with it; the model card shows how much memory it takes. 0: the "
                                  "model's trained length, at most 4096."));
    contextForm->addRow(tr("Context length"), contextLength_);
    kvCache_ = new QComboBox(this);
    kvCache_->addItem(tr("F16 (half the memory)"), int(KvCacheType::F16));
    kvCache_->addItem(tr("F32 (exact)"), int(KvCacheType::F32));
    kvCache_->setToolTip(tr("Precision of the attention key/value cache. F16 is llama.cpp's default."));
    contextForm->addRow(tr("KV cache"), kvCache_);
    telemetry_ = new QCheckBox(tr("Live performance charts"), this);
    telemetry_->setToolTip(tr("Time every operation of every forward pass and send it to the Performance "
                              "tab. Costs a little speed on very small models; off: no clock reads at all."));
    contextForm->addRow(QString(), telemetry_);
    layout->addWidget(contextGroup);
    layout->addStretch(1);

    refreshPresetBox(QStringLiteral("Balanced"));
    applyPreset(QStringLiteral("Balanced"));

    auto changed = [this] {
        if (!applying_) Q_EMIT settingsChanged();
    };
    for (QDoubleSpinBox* box : {temperature_, topP_, minP_, repeatPenalty_})
        connect(box, &QDoubleSpinBox::valueChanged, this, changed);
    for (QSpinBox* box : {topK_, repeatWindow_, seed_, maxTokens_, threads_, contextLength_})
        connect(box, &QSpinBox::valueChanged, this, changed);
    connect(randomSeed_, &QCheckBox::toggled, this, changed);
    connect(telemetry_, &QCheckBox::toggled, this, changed);
    connect(randomSeed_, &QCheckBox::toggled, seed_, &QWidget::setDisabled);
    connect(stopStrings_, &QLineEdit::textChanged, this, changed);
    connect(kvCache_, &QComboBox::currentIndexChanged, this, changed);
    connect(presetBox_, &QComboBox::activated, this,
            [this](int index) { applyPreset(presetBox_->itemText(index)); });
    connect(presetBox_, &QComboBox::currentTextChanged, this, [this](const QString& name) {
        deletePresetButton_->setEnabled(!SamplingPresets::isBuiltin(name));
    });
    connect(savePresetButton_, &QPushButton::clicked, this, &SamplingPanel::askPresetName);
    connect(deletePresetButton_, &QPushButton::clicked, this,
            [this] { deletePreset(presetBox_->currentText()); });
    deletePresetButton_->setEnabled(false);
}

GenerationSettings SamplingPanel::settings() const {
    GenerationSettings settings;
    SamplingParams& s = settings.sampling;
    s.temperature = float(temperature_->value());
    s.topK = topK_->value();
    s.topP = float(topP_->value());
    s.minP = float(minP_->value());
    s.repeatPenalty = float(repeatPenalty_->value());
    s.repeatLastN = repeatWindow_->value();
    s.seed = quint64(seed_->value());
    settings.randomSeed = randomSeed_->isChecked();
    settings.maxTokens = maxTokens_->value();
    settings.stopStrings = parseStopStrings(stopStrings_->text());
    settings.threads = threads_->value();
    settings.contextLength = contextLength_->value();
    settings.kvCacheType = KvCacheType(kvCache_->currentData().toInt());
    settings.telemetry = telemetry_->isChecked();
    return settings;
}

void SamplingPanel::setSettings(const GenerationSettings& settings) {
    applying_ = true;
    const SamplingParams& s = settings.sampling;
    temperature_->setValue(s.temperature);
    topK_->setValue(s.topK);
    topP_->setValue(s.topP);
    minP_->setValue(s.minP);
    repeatPenalty_->setValue(s.repeatPenalty);
    repeatWindow_->setValue(s.repeatLastN);
    seed_->setValue(int(std::min<quint64>(s.seed, quint64(std::numeric_limits<int>::max()))));
    randomSeed_->setChecked(settings.randomSeed);
    maxTokens_->setValue(settings.maxTokens);
    stopStrings_->setText(formatStopStrings(settings.stopStrings));
    threads_->setValue(settings.threads);
    contextLength_->setValue(settings.contextLength);
    kvCache_->setCurrentIndex(kvCache_->findData(int(settings.kvCacheType)));
    telemetry_->setChecked(settings.telemetry);
    applying_ = false;
    Q_EMIT settingsChanged();
}

bool SamplingPanel::applyPreset(const QString& name) {
    const auto preset = presets_.find(name);
    if (!preset) return false;
    setSettings(*preset);
    presetBox_->setCurrentText(name);
    return true;
}

bool SamplingPanel::savePreset(const QString& name, QString* error) {
    if (!presets_.save(name, settings(), error)) return false;
    refreshPresetBox(name.trimmed());
    return true;
}

bool SamplingPanel::deletePreset(const QString& name) {
    if (!presets_.remove(name)) return false;
    refreshPresetBox(QStringLiteral("Balanced"));
    return true;
}

QStringList SamplingPanel::presetNames() const {
    return presets_.names();
}

QString SamplingPanel::currentPreset() const {
    return presetBox_->currentText();
}

void SamplingPanel::refreshPresetBox(const QString& select) {
    const QSignalBlocker blocker(presetBox_);
    presetBox_->clear();
    presetBox_->addItems(presets_.names());
    presetBox_->setCurrentText(select);
    deletePresetButton_->setEnabled(!SamplingPresets::isBuiltin(select));
}

void SamplingPanel::askPresetName() {
    // Window-modal but not blocking (open(), not exec()), so nothing stalls behind the dialog.
    auto* dialog = new QInputDialog(this);
    dialog->setObjectName(QStringLiteral("presetNameDialog"));
    dialog->setWindowTitle(tr("Save preset"));
    dialog->setLabelText(tr("Name for the current sampling and context values:"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QInputDialog::textValueSelected, this, [this](const QString& name) {
        QString error;
        if (savePreset(name, &error)) return;
        auto* box =
            new QMessageBox(QMessageBox::Warning, tr("Could not save preset"), error, QMessageBox::Ok, this);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    });
    dialog->open();
}

} // namespace wb::ui
