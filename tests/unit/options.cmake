# probe/drivers/probe_options + probe_overrides (the one table of client options, where the
# options meet) and probe/serve/probe_modules (the exporter's modules file).
tdsprobe_unit_test(test_probe_options
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_probe_options.c
    LIBS probe_core)
