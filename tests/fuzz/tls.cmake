# libFuzzer targets for tls/ (included by tests/CMakeLists.txt only with -DTDSPROBE_FUZZ=ON, clang).
# Nothing is registered in CTest: run each for a bounded time, e.g.
#   ./fuzz_tls_session -max_total_time=120 ../tests/fuzz/corpus/fuzz_tls_session
# fuzz_tls_session: arbitrary server bytes into a fresh client session (full or certificate mode,
#   fed in chunks), stepped until it stops, then the policy on whatever chain it captured.
#   Seeds: 1 control byte + real server flights from an in-process mbedTLS server with the kit
#   (good, ecdsa, bigchain, TLS 1.0, alert), see fuzz_tls_session.c.
# fuzz_tls_cert: arbitrary bytes as a DER certificate, then name matching and the policy.
#   Seeds: the kit's certificates and the SQL Server 2017 fallback certificate.
# A crash found by a fuzzer becomes a regression test in tests/unit/test_tls_*.c.
target_compile_options(tlsx PRIVATE -fsanitize=fuzzer-no-link,address,undefined)
target_link_options(tlsx INTERFACE -fsanitize=address,undefined)
foreach(t session cert)
    add_executable(fuzz_tls_${t} ${CMAKE_CURRENT_LIST_DIR}/fuzz_tls_${t}.c)
    target_compile_options(fuzz_tls_${t} PRIVATE -fsanitize=fuzzer,address,undefined
                           -fno-sanitize-recover=undefined)
    target_link_options(fuzz_tls_${t} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(fuzz_tls_${t} PRIVATE tlsx)
endforeach()
