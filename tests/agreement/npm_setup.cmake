# npm_setup.cmake: install the pinned tedious for the agreement tests into the build tree.
#   cmake -DSRC=<tests/agreement> -DDST=<build dir>/node -DNPM=<npm> -P npm_setup.cmake
# Copies package.json and package-lock.json to DST and runs `npm ci --prefix DST`, so no
# node_modules is ever created in the source tree. Skipped when DST already holds an install of
# this exact lock file made by this npm.
foreach(var SRC DST NPM)
    if(NOT DEFINED ${var})
        message(FATAL_ERROR "npm_setup.cmake: -D${var}=... is required")
    endif()
endforeach()
if(NOT NPM OR NOT EXISTS "${NPM}")
    message(FATAL_ERROR "npm not found ('${NPM}'): the agreement tests need Node.js and npm "
                        "(Debian: apt-get install nodejs npm; scripts/bootstrap.sh installs them)")
endif()

file(SHA256 "${SRC}/package-lock.json" lock_hash)
file(SHA256 "${SRC}/package.json" pkg_hash)
execute_process(COMMAND "${NPM}" --version OUTPUT_VARIABLE npm_version
                OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
if(rc)
    message(FATAL_ERROR "'${NPM} --version' failed")
endif()
set(stamp_text "${lock_hash} ${pkg_hash} npm ${npm_version}")
set(stamp "${DST}/agreement-npm.stamp")
if(EXISTS "${stamp}" AND EXISTS "${DST}/node_modules/tedious/package.json")
    file(READ "${stamp}" old)
    if(old STREQUAL stamp_text)
        message(STATUS "tedious already installed in ${DST} (lock unchanged)")
        return()
    endif()
endif()

file(MAKE_DIRECTORY "${DST}")
file(REMOVE "${stamp}")
file(COPY "${SRC}/package.json" "${SRC}/package-lock.json" DESTINATION "${DST}")
# Trust the system store (where a site's TLS-inspecting proxy CA lives, as on these build
# machines) rather than only Node's bundled roots: Debian's npm does not read it by default.
set(cafile_arg)
if(EXISTS /etc/ssl/certs/ca-certificates.crt)
    set(cafile_arg --cafile=/etc/ssl/certs/ca-certificates.crt)
endif()
execute_process(COMMAND "${NPM}" ci --prefix "${DST}" --no-audit --no-fund --ignore-scripts
                        --loglevel=warn ${cafile_arg}
                RESULT_VARIABLE rc)
if(rc)
    message(FATAL_ERROR "npm ci --prefix ${DST} failed (${rc}): is the npm registry reachable?")
endif()
file(WRITE "${stamp}" "${stamp_text}")
message(STATUS "tedious installed in ${DST}/node_modules")
