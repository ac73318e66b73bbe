# probe/serve/probe_http: the exporter's sans-I/O HTTP request parser and its query parameters.
tdsprobe_unit_test(test_probe_http
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_probe_http.c
    LIBS probe_core)
