# probe/probe_connstr: connection strings per driver (ADO.NET, ODBC, JDBC, go URL, sqlcmd).
tdsprobe_unit_test(test_probe_connstr
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_probe_connstr.c
    LIBS probe_core)
