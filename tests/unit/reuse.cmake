# tls/'s pool of mbedTLS contexts (tls/tls_ctxpool.c): sessions of one config in a row against
# the in-process server of test_tls_server.c, and from a second thread.
find_package(Threads REQUIRED)
tdsprobe_unit_test(test_tls_reuse
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_tls_reuse.c ${CMAKE_CURRENT_LIST_DIR}/test_tls_server.c
            ${CMAKE_CURRENT_LIST_DIR}/test_tds_util.c
    LIBS tlsx Threads::Threads)
set_tests_properties(test_tls_reuse PROPERTIES FIXTURES_REQUIRED certs)
