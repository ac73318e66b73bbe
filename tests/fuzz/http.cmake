# fuzz_probe_http: arbitrary bytes into the exporter's HTTP request parser and its query
# parameters; fed at once and in pieces, it must say the same.
add_executable(fuzz_probe_http ${CMAKE_CURRENT_LIST_DIR}/fuzz_probe_http.c)
target_compile_options(fuzz_probe_http PRIVATE -fsanitize=fuzzer)
target_link_options(fuzz_probe_http PRIVATE -fsanitize=fuzzer)
target_link_libraries(fuzz_probe_http PRIVATE probe_core)
