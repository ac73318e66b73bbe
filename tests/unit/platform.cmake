# probe/drivers/probe_platform (the TLS stacks, the client OS) as probe_client reads it: the
# client's TLS range, strict mode's TLS 1.3 decision, each driver's stack per OS, and the
# stack's own words and limits in the verdict (probe_template, probe_judge, probe_platforms).
tdsprobe_unit_test(test_probe_platform
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_probe_platform.c
    LIBS probe_core)
