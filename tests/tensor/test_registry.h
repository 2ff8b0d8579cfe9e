#pragma once
// The tensor tests are several Qt Test classes in one executable; each file registers its class here.
#include <QObject>

#include <functional>
#include <memory>
#include <vector>

namespace wb::test {

using TestFactory = std::function<std::unique_ptr<QObject>()>;
std::vector<TestFactory>& tensorTests();

template <class T> struct RegisterTensorTest {
    RegisterTensorTest() {
        tensorTests().push_back([] { return std::make_unique<T>(); });
    }
};

} // namespace wb::test

#define WB_REGISTER_TENSOR_TEST(Class) static ::wb::test::RegisterTensorTest<Class> registered##Class;
