# `tdsprobe serve`, the Prometheus exporter: included from tests/integration/CMakeLists.txt.
# Needs promtool and prometheus (Debian package prometheus; scripts/bootstrap.sh test). Missing
# tools are a failing test, not a skip.
find_program(TDSPROBE_PROMTOOL promtool)
find_program(TDSPROBE_PROMETHEUS prometheus)

if(TDSPROBE_PROMTOOL AND TDSPROBE_PROMETHEUS)
    # The exposition (promtool check metrics), bad requests, disconnects, the concurrency limit,
    # shutdown, and a real Prometheus scraping through the multi-target relabelling.
    set(serve_env
        "TDSPROBE=$<TARGET_FILE:tdsprobe>"
        "FAKESQL=$<TARGET_FILE:fakesql>"
        "TDSPROBE_CERTS=${TDSPROBE_CERTS}"
        "PYTHONPATH=${CMAKE_SOURCE_DIR}/tests/lib"
        "PROMTOOL=${TDSPROBE_PROMTOOL}"
        "PROMETHEUS=${TDSPROBE_PROMETHEUS}")
    add_test(NAME integration_serve
             COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/test_serve.py -v
                     Exposition Lifecycle RealPrometheus)
    set_tests_properties(integration_serve PROPERTIES
        FIXTURES_REQUIRED certs TIMEOUT 120 ENVIRONMENT "${serve_env}")
    # Hostile clients (idle floods, the per-peer limit, slow heads) and --allow-targets. Alone:
    # its floods load the machine as much as they can.
    add_test(NAME integration_serve_hostile
             COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/test_serve.py -v
                     HostileClients AllowTargets)
    set_tests_properties(integration_serve_hostile PROPERTIES
        FIXTURES_REQUIRED certs TIMEOUT 180 RUN_SERIAL TRUE ENVIRONMENT "${serve_env}")
    # Prometheus as the distributed engine: samples/monitoring/prometheus-sharded.yml run by a
    # real Prometheus against two exporters; each target probed by exactly one of them.
    add_test(NAME integration_serve_shard
             COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/test_serve_shard.py -v)
    set_tests_properties(integration_serve_shard PROPERTIES
        FIXTURES_REQUIRED certs TIMEOUT 120 ENVIRONMENT "${serve_env}")
    # As blackbox_exporter users expect: the scrape-timeout header (with a real Prometheus),
    # debug=true, tdsprobe_build_info and --version, SIGHUP and POST /-/reload, module run keys.
    add_test(NAME integration_serve_exporter
             COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/test_serve_exporter.py -v)
    set_tests_properties(integration_serve_exporter PROPERTIES
        FIXTURES_REQUIRED certs TIMEOUT 180 ENVIRONMENT "${serve_env}")
    # The scrape configurations users copy.
    add_test(NAME samples_prometheus_config
             COMMAND ${TDSPROBE_PROMTOOL} check config
                     ${CMAKE_SOURCE_DIR}/samples/monitoring/prometheus.yml)
    add_test(NAME samples_prometheus_sharded_config
             COMMAND ${TDSPROBE_PROMTOOL} check config
                     ${CMAKE_SOURCE_DIR}/samples/monitoring/prometheus-sharded.yml)
else()
    foreach(name integration_serve integration_serve_hostile integration_serve_shard
                 integration_serve_exporter
                 samples_prometheus_config samples_prometheus_sharded_config)
        add_test(NAME ${name} COMMAND sh -c
            "echo 'promtool or prometheus missing: apt-get install prometheus'; exit 1")
    endforeach()
endif()
