# probe/ monitoring writers (probe_summary, probe_monitor): Nagios, Prometheus, summary table.
# test_probe_monitor_promtool is the same source with PROMTOOL_PATH: it also feeds every
# Prometheus exposition to `promtool check metrics` (Debian package `prometheus`), which must
# report neither errors nor lint problems. promtool is required, not optional: without it the
# Prometheus output would go unchecked by the reference parser.
tdsprobe_unit_test(test_probe_monitor
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_probe_monitor.c
    LIBS probe_core)

# A build without promtool still configures (the demo needs no Prometheus); the test then
# fails, saying what to install, rather than passing unchecked.
find_program(PROMTOOL promtool)
if(PROMTOOL)
    tdsprobe_unit_test(test_probe_monitor_promtool
        SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_probe_monitor.c
        LIBS probe_core)
    target_compile_definitions(test_probe_monitor_promtool PRIVATE PROMTOOL_PATH="${PROMTOOL}")
else()
    add_test(NAME test_probe_monitor_promtool COMMAND sh -c
        "echo 'promtool not found: apt-get install prometheus (scripts/bootstrap.sh test)'; exit 1")
endif()
