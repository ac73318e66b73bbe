# The TLS policy audit: the planner (probe/engine/probe_audit_plan.c, pure) and what the writers make of
# it (probe/output/probe_audit_report.c, probe_report.c, probe_summary.c, probe_monitor.c).
# test_probe_audit_report feeds every Prometheus exposition to `promtool check metrics`, as
# monitor.cmake does: promtool is required, and its absence fails the test rather than
# leaving the output unchecked.
tdsprobe_unit_test(test_probe_audit
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_probe_audit.c
    LIBS probe_core)

tdsprobe_promtool_test(test_probe_audit_report
    ${CMAKE_CURRENT_LIST_DIR}/test_probe_audit_report.c)
