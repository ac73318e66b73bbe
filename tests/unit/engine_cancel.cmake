# probe_engine_cancel on a real libuv loop: a target cancelled in every state of its job gets
# no result, frees its slot at once and leaves no handle open (its servers are in the test:
# a TCP listener speaking a little TDS, a UDP socket as a silent SQL Server Browser).
tdsprobe_unit_test(test_probe_engine_cancel
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_probe_engine_cancel.c
    LIBS probe_core)
