#include "tests/tensor/test_registry.h"

#include <QCoreApplication>
#include <QtTest>

namespace wb::test {
std::vector<TestFactory>& tensorTests() {
    static std::vector<TestFactory> factories;
    return factories;
}
} // namespace wb::test

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    int failures = 0;
    for (const auto& factory : wb::test::tensorTests()) {
        auto test = factory();
        failures += QTest::qExec(test.get(), argc, argv);
    }
    return failures == 0 ? 0 : 1;
}
