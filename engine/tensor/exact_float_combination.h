// Included last, after every other include, by the kernel files whose float combination must round exactly
// like the portable kernels: a multiply and an add, never one FMA. The pragmas apply from here to the end of
// the including file, so the headers above keep their own settings.
#if defined(__clang__)
#pragma clang fp contract(off)
#else
#pragma GCC optimize("fp-contract=off")
// GCC 12 reports its own _mm512_undefined_* placeholders as (maybe-)uninitialized under the optimize pragma.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
