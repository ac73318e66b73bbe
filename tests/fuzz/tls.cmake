# libFuzzer targets for tls/ (included by tests/CMakeLists.txt only with -DTDSPROBE_FUZZ=ON, clang).
# Nothing is registered in CTest: run each for a bounded time, e.g.
#   ./fuzz_tls_session -max_total_time=120 ../tests/fuzz/corpus/fuzz_tls_session
# fuzz_tls_session: arbitrary server bytes into a fresh client session (full or certificate mode,
#   fed in chunks), stepped until it stops, then the policy on whatever chain it captured.
#   Seeds: 1 control byte + real server flights from an in-process mbedTLS server with the kit
#   (good, ecdsa, bigchain, TLS 1.0, alert), see fuzz_tls_session.c; and split_certificate_*:
#   a 29 KB Certificate message (the kit's hugesan leaf) in 16 KB and 3 KB records, cut short,
#   and with a list length past the message (mbedTLS 2.28 refuses the split; the sniffer reads
#   on).
# fuzz_tls_cert: arbitrary bytes as a DER certificate, then name matching and the policy.
#   Seeds: the kit's certificates and the SQL Server 2017 fallback certificate.
# fuzz_tls13_probe: arbitrary bytes as the server's answer to the TLS 1.3 probe (every answer at
#   a prefix must equal the answer for the whole input) and as the probe ClientHello's SNI/ALPN.
#   Seeds: 1 control byte + ServerHellos (accepted, HelloRetryRequest, TLS 1.2, fragmented),
#   alerts, non-TLS replies (TDS, HTTP), and real replies from OpenSSL 3.0 s_server (accepted,
#   HelloRetryRequest, protocol_version).
# fuzz_tls13_client: arbitrary server bytes into the TLS 1.3 client after its ClientHello: raw
#   after RFC 8448's ClientHello (so the RFC's flight decrypts), as handshake plaintext sealed
#   under RFC 8448's server handshake key (to reach the parsers past the AEAD), or raw into a
#   fresh client (ServerHello, HelloRetryRequest). Seeds: RFC 8448 section 3's ServerHello and
#   flight (raw, byte by byte, in 7-byte records, with a CertificateRequest), a
#   HelloRetryRequest with a cookie, a TLS 1.2 ServerHello, an alert.
# fuzz_tls_pin: arbitrary bytes as a pinned certificate file (PEM, DER or neither); a pin that
#   parses re-parses from its DER as the same pin. Seeds: the kit's PEM files (leaf + chain, a
#   key), the fallback certificate's DER, a PEM block with bad base64.
# A crash found by a fuzzer becomes a regression test in tests/unit/test_tls_*.c.
target_compile_options(tlsx PRIVATE -fsanitize=fuzzer-no-link,address,undefined)
target_link_options(tlsx INTERFACE -fsanitize=address,undefined)
foreach(t tls_session tls_cert tls13_probe tls13_client tls_pin)
    add_executable(fuzz_${t} ${CMAKE_CURRENT_LIST_DIR}/fuzz_${t}.c)
    target_compile_options(fuzz_${t} PRIVATE -fsanitize=fuzzer,address,undefined
                           -fno-sanitize-recover=undefined)
    target_link_options(fuzz_${t} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(fuzz_${t} PRIVATE tlsx)
endforeach()
