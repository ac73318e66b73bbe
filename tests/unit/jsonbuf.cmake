# probe/output/probe_jsonbuf: the buffer each JSON record is assembled in (growth, reuse, the
# limit that stands in for memory running out, printf-identical numbers, the shared escaping)
# and probe_report_json_line on top of it.
tdsprobe_unit_test(test_probe_jsonbuf
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_probe_jsonbuf.c
            ${CMAKE_CURRENT_LIST_DIR}/probe_fixture.c
    LIBS probe_core m)
