# probe/serve/probe_allow (the exporter's --allow-targets and a module's allow_targets) and
# probe/serve/probe_peers (connections per client, for its connection limits).
tdsprobe_unit_test(test_probe_allow
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_probe_allow.c
    LIBS probe_core)
tdsprobe_unit_test(test_probe_peers
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_probe_peers.c
    LIBS probe_core)
# probe/serve/probe_modules: a module's run keys (timeout, audit, policy) and fitting a probe
# within a scrape's timeout.
tdsprobe_unit_test(test_probe_modules
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_probe_modules.c
    LIBS probe_core)
