#!/usr/bin/env node
// tests/agreement/tedious_connect.js: connect once with the real tedious driver and print ONE
// JSON line saying how far it got, for test_agreement.py to compare with tdsprobe --driver
// tedious.
//
//   node tedious_connect.js --server 127.0.0.1 --port 14330 [--encrypt true|false|strict]
//        [--trust-server-certificate] [--ca FILE] [--server-name NAME] [--timeout MS]
//
// userName/password are "sa"/"x"; fakesql fails every LOGIN7 with error 18456, so
// "login_failed" means TLS (if any) worked and tedious reached the login.
//
// Output: {"outcome": "login_failed"|"tls_error"|"encryption_error"|"socket_error"|"timeout"|
//          "connected", "code": err.code, "message": err.message, "cause_code": ...,
//          "cause_message": ..., "encrypted": bool, "tls_version": ..., "states": [tedious states entered]}
// "encrypted" is true when tedious finished a TLS handshake (its 'secure' event, or for strict
// its socket being a TLS socket with a negotiated protocol).
// Node 18 syntax only (Debian bookworm ships nodejs 18). Exit status 0 whenever a line was
// printed; 2 on a usage error.
'use strict';

process.noDeprecation = true; // Node warns that an IP address as TLS ServerName breaks RFC 6066

const fs = require('fs');
const { Connection } = require('tedious');

function usage(msg) {
  process.stderr.write('tedious_connect.js: ' + msg + '\n');
  process.exit(2);
}

function parseArgs(argv) {
  const a = { server: '127.0.0.1', port: 1433, encrypt: true, trust: false, ca: null,
              serverName: null, timeout: 10000 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage(k + ' needs a value');
      return argv[++i];
    };
    if (k === '--server') a.server = val();
    else if (k === '--port') a.port = parseInt(val(), 10);
    else if (k === '--encrypt') {
      const v = val();
      if (v === 'true') a.encrypt = true;
      else if (v === 'false') a.encrypt = false;
      else if (v === 'strict') a.encrypt = 'strict';
      else usage('--encrypt takes true, false or strict');
    } else if (k === '--trust-server-certificate') a.trust = true;
    else if (k === '--ca') a.ca = val();
    else if (k === '--server-name') a.serverName = val();
    else if (k === '--timeout') a.timeout = parseInt(val(), 10);
    else usage('unknown argument ' + k);
  }
  return a;
}

// The TLS layer's own errors: OpenSSL reason codes (ERR_SSL_*), Node's name check
// (ERR_TLS_CERT_ALTNAME_INVALID) and the X509_V_ERR names Node reports for chain checks.
const X509_CODES = /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_|CERT_|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH|INVALID_PURPOSE|INVALID_CA|PATH_LENGTH_EXCEEDED|EE_KEY_TOO_SMALL|CA_KEY_TOO_SMALL|CA_MD_TOO_WEAK)/;

function classify(err) {
  if (!err) return 'connected';
  const cause = err.cause || {};
  if (err.code === 'ELOGIN') return 'login_failed';
  if (err.code === 'EENCRYPT') return 'encryption_error';
  if (err.code === 'ETIMEOUT') return 'timeout';
  if (typeof cause.code === 'string' && X509_CODES.test(cause.code)) return 'tls_error';
  // Node has no name for some X509_V_ERR values: X509_V_ERR_CA_MD_TOO_WEAK (a SHA-1 signature at
  // security level 1) arrives as code UNSPECIFIED with OpenSSL's verify text as its message
  if (cause.code === 'UNSPECIFIED' && /too weak|too small/.test(cause.message || '')) {
    return 'tls_error';
  }
  if (cause.library === 'SSL routines' || typeof cause.reason === 'string') return 'tls_error';
  // the peer hung up or reset (also mid-handshake): a socket error, as tedious reports it
  return 'socket_error';
}

function main() {
  const a = parseArgs(process.argv.slice(2));
  const options = {
    port: a.port,
    encrypt: a.encrypt,
    trustServerCertificate: a.trust,
    connectTimeout: a.timeout,
    // keep tedious quiet and single-shot: no retries, no multi-subnet racing
    maxRetriesOnTransientErrors: 0,
  };
  if (a.ca) options.cryptoCredentialsDetails = { ca: fs.readFileSync(a.ca) };
  if (a.serverName) options.serverName = a.serverName;

  const config = {
    server: a.server,
    authentication: { type: 'default', options: { userName: 'sa', password: 'x' } },
    options: options,
  };

  const result = { outcome: null, code: null, message: null, cause_code: null,
                   cause_message: null, encrypted: false, tls_version: null, states: [] };
  let printed = false;
  let conn;

  function finish(err) {
    if (printed) return;
    printed = true;
    result.outcome = classify(err);
    if (err) {
      result.code = err.code === undefined ? null : err.code;
      result.message = err.message;
      if (err.cause) {
        result.cause_code = err.cause.code === undefined ? null : err.cause.code;
        result.cause_message = err.cause.message === undefined ? null : err.cause.message;
      }
    }
    process.stdout.write(JSON.stringify(result) + '\n');
    try {
      conn.close();
    } catch (e) {
      // already closed
    }
    // tedious may keep a timer or socket alive after a failed connect
    setTimeout(() => process.exit(0), 50).unref();
  }

  try {
    conn = new Connection(config);
  } catch (err) {
    usage('bad configuration: ' + err.message);
  }
  conn.on('secure', (cleartext) => {
    result.encrypted = true;
    try {
      result.tls_version = cleartext.getProtocol();
    } catch (e) {
      result.tls_version = null;
    }
  });
  conn.on('error', (err) => finish(err));
  const origTransition = conn.transitionTo;
  conn.transitionTo = function (state) {
    if (state && state.name) result.states.push(state.name);
    // strict (TDS 8.0) wraps the socket in TLS before PRELOGIN and emits no 'secure' event:
    // the socket itself says whether TLS is up (connection.ts wrapWithTls)
    const sock = this.socket;
    if (!result.encrypted && sock && sock.encrypted && typeof sock.getProtocol === 'function' &&
        sock.getProtocol()) {
      result.encrypted = true;
      result.tls_version = sock.getProtocol();
    }
    return origTransition.apply(this, arguments);
  };
  conn.connect((err) => finish(err));
  // a hard stop in case tedious neither connects nor fails
  setTimeout(() => finish(Object.assign(new Error('no answer from tedious'),
                                        { code: 'ETIMEOUT' })), a.timeout + 5000).unref();
}

main();
