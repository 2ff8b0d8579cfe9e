// Chat formats: rendering of each family against strings written out by hand from the families'
// published templates, and detection from real templates (shared vocab files) and Jinja snippets.
#include "engine/chat/chat_format.h"
#include "engine/gguf/gguf_file.h"
#include "tests/support/test_models.h"

using namespace wb;

namespace {

const std::vector<ChatMessage> kConversation{
    {"system", "Be brief."},
    {"user", "Hi"},
    {"assistant", "Hello!"},
    {"user", "2+2?"},
};

std::string render(ChatFormatKind kind, const std::vector<ChatMessage>& messages = kConversation) {
    return ChatFormat(kind).render(messages);
}

ChatFormatKind detectedKind(const std::string& jinja) {
    const auto detection = ChatFormat::detect(jinja);
    if (!detection.recognised) return ChatFormatKind::Raw;
    return detection.kind;
}

std::string templateOf(const QString& path) {
    const auto file = gguf::GgufFile::open(path.toStdString());
    return file.getString("tokenizer.chat_template").value_or("");
}

} // namespace

class TestChatFormat : public QObject {
    Q_OBJECT
private slots:
    void rendersChatML() {
        QCOMPARE(render(ChatFormatKind::ChatML), std::string("<|im_start|>system\nBe brief.<|im_end|>\n"
                                                             "<|im_start|>user\nHi<|im_end|>\n"
                                                             "<|im_start|>assistant\nHello!<|im_end|>\n"
                                                             "<|im_start|>user\n2+2?<|im_end|>\n"
                                                             "<|im_start|>assistant\n"));
        QCOMPARE(ChatFormat(ChatFormatKind::ChatML).stopStrings().front(), std::string("<|im_end|>"));
    }

    void rendersLlama3() {
        QCOMPARE(render(ChatFormatKind::Llama3),
                 std::string("<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                             "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                             "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
                             "<|start_header_id|>user<|end_header_id|>\n\n2+2?<|eot_id|>"
                             "<|start_header_id|>assistant<|end_header_id|>\n\n"));
        QCOMPARE(ChatFormat(ChatFormatKind::Llama3).stopStrings().front(), std::string("<|eot_id|>"));
    }

    void rendersLlama2() {
        QCOMPARE(render(ChatFormatKind::Llama2),
                 std::string(
                     "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello! </s><s>[INST] 2+2? [/INST]"));
        QCOMPARE(render(ChatFormatKind::Llama2, {{"user", "Hi"}}), std::string("[INST] Hi [/INST]"));
    }

    void rendersMistral() {
        QCOMPARE(render(ChatFormatKind::Mistral),
                 std::string("[INST] Be brief.\n\nHi [/INST]Hello!</s>[INST] 2+2? [/INST]"));
        QCOMPARE(ChatFormat(ChatFormatKind::Mistral).stopStrings(), std::vector<std::string>{"</s>"});
    }

    void rendersGemma() {
        QCOMPARE(render(ChatFormatKind::Gemma),
                 std::string("<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n"
                             "<start_of_turn>model\nHello!<end_of_turn>\n"
                             "<start_of_turn>user\n2+2?<end_of_turn>\n"
                             "<start_of_turn>model\n"));
        QCOMPARE(ChatFormat(ChatFormatKind::Gemma).stopStrings(), std::vector<std::string>{"<end_of_turn>"});
    }

    void rendersPhi3() {
        QCOMPARE(
            render(ChatFormatKind::Phi3),
            std::string("<|system|>\nBe brief.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\nHello!<|end|>\n"
                        "<|user|>\n2+2?<|end|>\n<|assistant|>\n"));
        QCOMPARE(ChatFormat(ChatFormatKind::Phi3).stopStrings().front(), std::string("<|end|>"));
    }

    void rendersZephyr() {
        QCOMPARE(render(ChatFormatKind::Zephyr),
                 std::string("<|system|>\nBe brief.</s>\n<|user|>\nHi</s>\n<|assistant|>\nHello!</s>\n"
                             "<|user|>\n2+2?</s>\n<|assistant|>\n"));
    }

    void rawJoinsContents() {
        QCOMPARE(render(ChatFormatKind::Raw, {{"user", "Once upon a time"}}),
                 std::string("Once upon a time"));
        QCOMPARE(render(ChatFormatKind::Raw), std::string("Be brief.\nHi\nHello!\n2+2?"));
        QVERIFY(ChatFormat(ChatFormatKind::Raw).stopStrings().empty());
    }

    void withoutAssistantPrompt() {
        const std::vector<ChatMessage> one{{"user", "Hi"}};
        QCOMPARE(ChatFormat(ChatFormatKind::ChatML).render(one, false),
                 std::string("<|im_start|>user\nHi<|im_end|>\n"));
    }

    void unknownRoleIsRefused() {
        const std::vector<ChatMessage> bad{{"tool", "x"}};
        for (auto kind :
             {ChatFormatKind::ChatML, ChatFormatKind::Llama2, ChatFormatKind::Gemma, ChatFormatKind::Raw}) {
            try {
                ChatFormat(kind).render(bad);
                QFAIL("role 'tool' was accepted");
            } catch (const std::invalid_argument& error) {
                QVERIFY(QString(error.what()).contains("'tool'"));
            }
        }
    }

    void namesRoundTrip() {
        for (auto kind :
             {ChatFormatKind::Raw, ChatFormatKind::Llama2, ChatFormatKind::Llama3, ChatFormatKind::ChatML,
              ChatFormatKind::Mistral, ChatFormatKind::Gemma, ChatFormatKind::Phi3, ChatFormatKind::Zephyr}) {
            const auto parsed = ChatFormat::fromName(ChatFormat(kind).name());
            QVERIFY(parsed.has_value());
            QCOMPARE(int(parsed->kind()), int(kind));
        }
        QVERIFY(!ChatFormat::fromName("vicuna").has_value());
    }

    void detectsFromRealTemplates() {
        WB_REQUIRE_MODEL("llama.cpp-vocab/ggml-vocab-qwen2.gguf", qwen);
        WB_REQUIRE_MODEL("llama.cpp-vocab/ggml-vocab-phi-3.gguf", phi3);
        const std::string qwenTemplate = templateOf(qwen);
        QVERIFY(qwenTemplate.find("{% for message in messages %}") != std::string::npos);
        QCOMPARE(int(detectedKind(qwenTemplate)), int(ChatFormatKind::ChatML));
        QCOMPARE(int(detectedKind(templateOf(phi3))), int(ChatFormatKind::Phi3));
        WB_REQUIRE_MODEL("stories260K.gguf", stories);
        const auto none = ChatFormat::detect(templateOf(stories));
        QVERIFY(!none.recognised);
        QCOMPARE(int(none.kind), int(ChatFormatKind::Raw));
        QVERIFY(QString::fromStdString(none.warning).contains("no chat template"));
    }

    void detectsFromJinjaSnippets() {
        // Abbreviated from each family's published tokenizer_config.json chat_template.
        const std::string llama2 = "{% if messages[0]['role'] == 'system' %}{% set system_message = "
                                   "'<<SYS>>\\n' + messages[0]['content'] "
                                   "+ '\\n<</SYS>>\\n\\n' %}{% endif %}{% for message in loop_messages %}{% "
                                   "if message['role'] == 'user' %}"
                                   "{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif "
                                   "message['role'] == 'assistant' %}"
                                   "{{ ' ' + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";
        const std::string llama3 =
            "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
            "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim "
            "+ "
            "'<|eot_id|>' %}{{ content }}{% endfor %}{% if add_generation_prompt %}"
            "{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";
        const std::string mistral =
            "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
            "{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
            "{{ message['content'] + eos_token}}{% endif %}{% endfor %}";
        const std::string gemma =
            "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'assistant') %}{% set "
            "role = "
            "'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + "
            "'\\n' + "
            "message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}{% if add_generation_prompt %}"
            "{{'<start_of_turn>model\\n'}}{% endif %}";
        const std::string zephyr =
            "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\\n' + "
            "message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\\n' + "
            "message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ "
            "'<|assistant|>\\n'  "
            "+ message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n"
            "{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";
        const std::string vicuna =
            "{% for message in messages %}{% if message['role'] == 'user' %}{{ 'USER: ' + message['content'] "
            "+ "
            "'\\n' }}{% else %}{{ 'ASSISTANT: ' + message['content'] + '</s>\\n' }}{% endif %}{% endfor %}";
        QCOMPARE(int(detectedKind(llama2)), int(ChatFormatKind::Llama2));
        QCOMPARE(int(detectedKind(llama3)), int(ChatFormatKind::Llama3));
        QCOMPARE(int(detectedKind(mistral)), int(ChatFormatKind::Mistral));
        QCOMPARE(int(detectedKind(gemma)), int(ChatFormatKind::Gemma));
        QCOMPARE(int(detectedKind(zephyr)), int(ChatFormatKind::Zephyr));
        const auto unknown = ChatFormat::detect(vicuna);
        QVERIFY(!unknown.recognised);
        QVERIFY(QString::fromStdString(unknown.warning).contains("not recognised"));
        QVERIFY(ChatFormat::detect("").warning.find("raw completion") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestChatFormat)
#include "test_chat_format.moc"
