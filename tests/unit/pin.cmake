# Pinned certificates per driver: probe_client's pin rules, FreeTDS's CA file, the
# --server-certificate override and probe_judge's two rules (on the certificate kit).
tdsprobe_unit_test(test_probe_pin
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_probe_pin.c
    LIBS probe_core)
set_tests_properties(test_probe_pin PROPERTIES FIXTURES_REQUIRED certs)
