# tls/ unit tests: one cmocka executable per area (tests/CMakeLists.txt includes this file).
# test_tls_server.c is the shared harness: an in-process mbedTLS server over memory, plus file
# helpers; test_tds_util.c adds hex and guard-page copies. Tests that use the certificate kit
# require the `certs` fixture (the certkit test).
set(TLS_TEST_HARNESS ${CMAKE_CURRENT_LIST_DIR}/test_tls_server.c
    ${CMAKE_CURRENT_LIST_DIR}/test_tds_util.c)
foreach(t session cert policy names sniff suites sigmemo pin)
    if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/test_tls_${t}.c)
        tdsprobe_unit_test(test_tls_${t}
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_tls_${t}.c ${TLS_TEST_HARNESS}
            LIBS tlsx)
        set_tests_properties(test_tls_${t} PROPERTIES FIXTURES_REQUIRED certs)
    endif()
endforeach()
# The TLS 1.3 acceptance probe: hand-made ServerHellos, plus the in-process mbedTLS server.
tdsprobe_unit_test(test_tls13_probe
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_tls13_probe.c ${TLS_TEST_HARNESS}
    LIBS tlsx)
set_tests_properties(test_tls13_probe PROPERTIES FIXTURES_REQUIRED certs)
# The TLS layer from two threads at once (tdsprobe --threads runs one event loop per thread).
find_package(Threads REQUIRED)
tdsprobe_unit_test(test_tls_threads
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_tls_threads.c ${TLS_TEST_HARNESS}
    LIBS tlsx Threads::Threads)
set_tests_properties(test_tls_threads PROPERTIES FIXTURES_REQUIRED certs)
# The TLS 1.3 client: RFC 8448's "Simple 1-RTT Handshake" (tests/data/rfc8448/) and hand-made
# server replies.
tdsprobe_unit_test(test_tls13_client
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_tls13_client.c ${CMAKE_CURRENT_LIST_DIR}/test_tds_util.c
    LIBS tlsx)
tdsprobe_unit_test(test_tls13_replies
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_tls13_replies.c
    LIBS tlsx)
# The TLS 1.3 client against openssl s_server (a second, independent TLS 1.3 server).
find_program(OPENSSL_BIN openssl REQUIRED)
tdsprobe_unit_test(test_tls13_openssl
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_tls13_openssl.c
    LIBS tlsx)
set_tests_properties(test_tls13_openssl PROPERTIES FIXTURES_REQUIRED certs)
