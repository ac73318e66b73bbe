# fuzz_probe_conn: arbitrary server bytes into the probe's sans-I/O path, from the PRELOGIN
# reply through the TLS handshake, then the diagnosis and both report writers.
add_executable(fuzz_probe_conn ${CMAKE_CURRENT_LIST_DIR}/fuzz_probe_conn.c)
target_compile_options(fuzz_probe_conn PRIVATE -fsanitize=fuzzer)
target_link_options(fuzz_probe_conn PRIVATE -fsanitize=fuzzer)
target_link_libraries(fuzz_probe_conn PRIVATE probe_core)
