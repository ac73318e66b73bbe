# probe/diagnose/probe_finding_codes: the one table of finding codes (names, severities,
# meanings, lookup, "did you mean", the --list-findings lines, the only writer of a code).
tdsprobe_unit_test(test_probe_finding_codes
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_probe_finding_codes.c
    LIBS probe_core)
