# Warning flags for our own targets (never for third-party headers, which come in as SYSTEM).
function(wb_set_warnings target)
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
    # -Wshadow=local is GCC's spelling; clang (fuzzing builds) would warn about an unknown option.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
        target_compile_options(${target} PRIVATE -Wshadow=local)
    endif()
    if(WB_WERROR)
        target_compile_options(${target} PRIVATE -Werror)
    endif()
endfunction()

# Kernel files carry their instruction set in their name; only those files get the -m flags,
# so the binary still starts on any x86-64 and picks a path at run time.
function(wb_apply_isa_flags)
    foreach(src IN LISTS ARGN)
        if(src MATCHES "_amx\\.cpp$") # AMX tile kernels also use AVX-512 for the float combination
            set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS
                "-mamx-tile;-mamx-int8;-mavx512f;-mavx512bw;-mavx512vl;-mavx512dq;-mavx512vnni;-mavx2;-mfma;-mf16c;-mbmi2")
        elseif(src MATCHES "_avx512\\.cpp$")
            set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS
                "-mavx512f;-mavx512bw;-mavx512vl;-mavx512dq;-mavx512vnni;-mavx512bf16;-mavx2;-mfma;-mf16c;-mbmi2")
        elseif(src MATCHES "_avx2\\.cpp$")
            set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma;-mf16c;-mbmi2")
        endif()
    endforeach()
endfunction()
