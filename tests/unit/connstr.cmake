# probe/probe_connstr: connection strings per driver (ADO.NET, ODBC, JDBC, go URL, sqlcmd).
tdsprobe_unit_test(test_probe_connstr
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_probe_connstr.c
    LIBS probe_core)
# Every secret keyword of every syntax, in every case and quoting, is masked.
tdsprobe_unit_test(test_probe_connstr_secrets
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_probe_connstr_secrets.c
    LIBS probe_core)
