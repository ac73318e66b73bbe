# The floor for the fleet benchmark: a bare in-process mbedTLS 2.28 client and server (no
# tdsprobe code), client CPU per handshake in full and certificate mode.
#   bench_floor --certs <kit dir> [--iterations 500]
# Built with the tree; bench/bench_fleet.sh runs it. Not a timed test: the smoke test below
# only checks that it still runs (a few handshakes, well under a second).
if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/bench_floor.c)
    add_executable(bench_floor ${CMAKE_CURRENT_LIST_DIR}/bench_floor.c)
    target_link_libraries(bench_floor PRIVATE mbedtls_all)
    # mallinfo2 (glibc): the heap a client session holds
    target_compile_definitions(bench_floor PRIVATE _GNU_SOURCE)
    if(TARGET fakesql)
        add_test(NAME bench_floor_smoke
                 COMMAND bench_floor --certs ${CMAKE_BINARY_DIR}/certs --iterations 3 --warmup 1)
        set_tests_properties(bench_floor_smoke PROPERTIES FIXTURES_REQUIRED certs TIMEOUT 30)
    endif()
endif()
