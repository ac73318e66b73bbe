# probe/ monitoring writers (probe_summary, probe_monitor): Nagios, Prometheus, summary table.
# test_probe_monitor_promtool is the same source with PROMTOOL_PATH: it also feeds every
# Prometheus exposition to `promtool check metrics` (Debian package `prometheus`), which must
# report neither errors nor lint problems. promtool is required, not optional: without it the
# Prometheus output would go unchecked by the reference parser.
tdsprobe_unit_test(test_probe_monitor
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_probe_monitor.c
    LIBS probe_core)

tdsprobe_promtool_test(test_probe_monitor_promtool ${CMAKE_CURRENT_LIST_DIR}/test_probe_monitor.c)
