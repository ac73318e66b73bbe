# probe/ front-end pieces: TARGET syntax, target lists, the client's decisions.
tdsprobe_unit_test(test_probe_target
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_probe_target.c
    LIBS probe_core)
