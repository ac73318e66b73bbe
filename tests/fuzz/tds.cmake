# libFuzzer targets for tds/ (included by tests/CMakeLists.txt only with -DTDSPROBE_FUZZ=ON, clang).
# Nothing is registered in CTest: CI runs each target for a bounded time, e.g.
#   ./fuzz_tds_prelogin -max_total_time=20 ../tests/fuzz/corpus/fuzz_tds_prelogin
# The library is instrumented too, so coverage guides the fuzzer inside tds/; anything else that
# links tds in this build gets the sanitizer runtimes through the INTERFACE link option.
# Seeds (corpus/fuzz_tds_<t>/) come from tests/data/*.hex (provenance in tests/data/README.md):
#   prelogin: the payload of every packet in every fixture (F6's TLS flight, F4's ClientHello);
#   reasm:    3 control bytes (cap selector, chunking seed) + each fixture file as a stream, and a
#             3-packet message followed by F3; ssrp: SVR_RESP datagrams (MC-SQLR 2.2.5).
# A crash found by a fuzzer becomes a regression test in tests/unit/test_tds_*.c.
target_compile_options(tds PRIVATE -fsanitize=fuzzer-no-link,address,undefined)
target_link_options(tds INTERFACE -fsanitize=address,undefined)
foreach(t reasm prelogin ssrp)
    add_executable(fuzz_tds_${t} ${CMAKE_CURRENT_LIST_DIR}/fuzz_tds_${t}.c)
    target_compile_options(fuzz_tds_${t} PRIVATE -fsanitize=fuzzer,address,undefined
                           -fno-sanitize-recover=undefined)
    target_link_options(fuzz_tds_${t} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(fuzz_tds_${t} PRIVATE tds)
endforeach()
