#pragma once
/// CALM_TEST_UNDER_ASAN, defined when the test is compiled with AddressSanitizer: g++ says so
/// with __SANITIZE_ADDRESS__, clang only with __has_feature. kUnderAsan is the same as a value,
/// for the randomized tests that run fewer seeds there (each costs some 20 times more under
/// ASan at -O0; the optimized build runs them all).
#if defined(__SANITIZE_ADDRESS__)
#define CALM_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CALM_TEST_UNDER_ASAN 1
#endif
#endif

namespace calm::testing_support {

#if defined(CALM_TEST_UNDER_ASAN)
inline constexpr bool kUnderAsan = true;
#else
inline constexpr bool kUnderAsan = false;
#endif

}  // namespace calm::testing_support
