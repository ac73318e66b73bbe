# The TLS policy audit: the planner (probe/probe_audit.c, pure) and what the writers make of
# it (probe/probe_audit_report.c, probe_report.c, probe_summary.c, probe_monitor.c).
# test_probe_audit_report feeds every Prometheus exposition to `promtool check metrics`, as
# monitor.cmake does: promtool is required, and its absence fails the test rather than
# leaving the output unchecked.
tdsprobe_unit_test(test_probe_audit
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_probe_audit.c
    LIBS probe_core)

find_program(PROMTOOL promtool)
if(PROMTOOL)
    tdsprobe_unit_test(test_probe_audit_report
        SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_probe_audit_report.c
        LIBS probe_core)
    target_compile_definitions(test_probe_audit_report PRIVATE PROMTOOL_PATH="${PROMTOOL}")
else()
    add_test(NAME test_probe_audit_report COMMAND sh -c
        "echo 'promtool not found: apt-get install prometheus (scripts/bootstrap.sh test)'; exit 1")
endif()
