# tds/ unit tests: one cmocka executable per module (tests/CMakeLists.txt includes this file).
# test_tds_util.c holds the shared helpers: fixture loader, guard-page copies, a seeded PRNG.
set(TDS_TEST_UTIL ${CMAKE_CURRENT_LIST_DIR}/test_tds_util.c)
foreach(t cursor error packet reasm prelogin version ssrp)
    tdsprobe_unit_test(test_tds_${t}
        SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_tds_${t}.c ${TDS_TEST_UTIL}
        LIBS tds)
endforeach()
