# probe/ unit tests: diagnosis (raw facts -> verdict, texts, fixes) and the output writers, both
# from the hand-built probe in probe_fixture.c.
foreach(t diagnose report)
    tdsprobe_unit_test(test_probe_${t}
        SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_probe_${t}.c
                ${CMAKE_CURRENT_LIST_DIR}/probe_fixture.c
        LIBS probe_core)
endforeach()
