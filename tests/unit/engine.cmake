# probe/engine/ unit tests. test_probe_conn drives one connection in each of its modes with the
# byte scripts in tests/data/conn/ (no socket); its TLS servers are the in-memory mbedTLS
# harness of the tls/ tests (test_tls_server.c), with the certificate kit.
tdsprobe_unit_test(test_probe_conn
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_probe_conn.c ${CMAKE_CURRENT_LIST_DIR}/test_tls_server.c
            ${CMAKE_CURRENT_LIST_DIR}/test_tds_util.c
    LIBS probe_core)
set_tests_properties(test_probe_conn PROPERTIES FIXTURES_REQUIRED certs)

# The job states' names and the engine's one transition table.
tdsprobe_unit_test(test_probe_job_state
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_probe_job_state.c
    LIBS probe_core)
