# fuzz_probe_connstr: arbitrary text into probe_connstr_detect / probe_connstr_parse, with an
# oracle: a parsed string re-parsed from its masked form must mean the same target.
add_executable(fuzz_probe_connstr ${CMAKE_CURRENT_LIST_DIR}/fuzz_probe_connstr.c)
target_compile_options(fuzz_probe_connstr PRIVATE -fsanitize=fuzzer)
target_link_options(fuzz_probe_connstr PRIVATE -fsanitize=fuzzer)
target_link_libraries(fuzz_probe_connstr PRIVATE probe_core)
