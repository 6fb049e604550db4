'use strict';
// Weft's multiserver + secret-handshake peer (npm multiserver 3.8.2, secret-handshake 1.1.21, pull-stream
// 3.7.0). See interop/README.md, section "multiserver-peer.js".
//
//   node multiserver-peer.js server --seed B64 --app-key B64 [--refuse B64_PUBLIC_KEY] [--host 127.0.0.1]
//       Listens with net+shs and ws+shs (loopback, free ports), echoes every connection back to itself,
//       prints {"event":"listening","address":"net:…~shs:…;ws://…~shs:…","public":"…"} and then one JSON
//       line per event: {"event":"connection","address":…}, {"event":"echoed","bytes":…},
//       {"event":"error","error":"<the library's message>"}. --refuse: the authorisation callback rejects
//       that client key. Exits when stdin ends.
//   node multiserver-peer.js client --connect MULTIADDRESS --seed B64 --app-key B64 --bytes N [--timeout SEC]
//       Connects, sends N bytes of the pattern, then ends its side (box-stream goodbye: the half-close),
//       reads the echo until the server's goodbye and checks its SHA-256. Prints one JSON line:
//       {"ok":true,"impl":"multiserver","bytes":N,"sha256":"…","mbps":…} or {"ok":false,"error":"…"}.
//
// Pattern: byte i = (i*7 + 3) mod 251 (the yamux peers' stream-0 pattern).

const net = require('node:net');
const crypto = require('node:crypto');
const MultiServer = require('multiserver');
const Net = require('multiserver/plugins/net');
const WS = require('multiserver/plugins/ws');
const Shs = require('multiserver/plugins/shs');
const pull = require('pull-stream');
const SecretHandshake = require('secret-handshake');

const CHUNK = 64 * 1024;

function parseArgs(argv) {
  const [cmd, ...rest] = argv;
  const opts = {};
  for (let i = 0; i < rest.length; i += 2) {
    if (!rest[i].startsWith('--') || i + 1 >= rest.length) usage(`bad argument ${rest[i]}`);
    opts[rest[i].slice(2)] = rest[i + 1];
  }
  if (!['server', 'client'].includes(cmd)) usage();
  return { cmd, opts };
}

function usage(msg) {
  if (msg) process.stderr.write(msg + '\n');
  process.stderr.write('usage: multiserver-peer.js server --seed B64 --app-key B64 [--refuse KEY] [--host H]\n' +
    '       multiserver-peer.js client --connect ADDR --seed B64 --app-key B64 --bytes N [--timeout SEC]\n');
  process.exit(2);
}

function key32(opts, name) {
  const b = Buffer.from(opts[name] || '', 'base64');
  if (b.length !== 32) usage(`--${name} must be 32 bytes in base64`);
  return b;
}

function print(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

// A block long enough that any 64 KiB slice starting at offset mod 251 fits.
const BLOCK = Buffer.alloc(CHUNK + 251);
for (let i = 0; i < BLOCK.length; i++) BLOCK[i] = (i * 7 + 3) % 251;

function freePort(host) {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function shsPlugin(opts) {
  const keys = SecretHandshake.toKeys(key32(opts, 'seed'));
  const refuse = opts.refuse;
  return Shs({
    keys,
    appKey: key32(opts, 'app-key'),
    timeout: 30000,
    auth: (publicKey, cb) => cb(null, publicKey.toString('base64') !== refuse),
  });
}

async function server(opts) {
  const host = opts.host || '127.0.0.1';
  const shs = shsPlugin(opts);
  const netPort = await freePort(host);
  const wsPort = await freePort(host);
  const ms = MultiServer([
    [Net({ host, port: netPort, scope: 'device' }), shs],
    [WS({ host, port: wsPort, scope: 'device' }), shs],
  ]);
  ms.server(
    (stream) => {
      print({ event: 'connection', address: stream.address });
      let bytes = 0;
      pull(
        stream.source,
        pull.through((data) => { bytes += data.length; }, () => print({ event: 'echoed', bytes })),
        stream.sink,
      );
    },
    (err) => print({ event: 'error', error: String(err && err.message || err) }),
    (err) => {
      if (err) {
        print({ event: 'error', error: 'could not start: ' + String(err.message || err) });
        process.exit(1);
      }
      print({ event: 'listening', address: ms.stringify('device'), public: shs.publicKey.toString('base64') });
    },
  );
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}

function client(opts) {
  const total = Number(opts.bytes || 0);
  const timeoutSec = Number(opts.timeout || 60);
  if (!opts.connect || !Number.isFinite(total) || total < 0) usage('client needs --connect and --bytes');
  const shs = shsPlugin(opts);
  const ms = MultiServer([[Net({ scope: 'device' }), shs], [WS({ scope: 'device' }), shs]]);
  const started = process.hrtime.bigint();
  let finished = false;
  const finish = (result) => {
    if (finished) return;
    finished = true;
    print({ impl: 'multiserver', ...result });
    process.exit(result.ok ? 0 : 1);
  };
  const timer = setTimeout(() => finish({ ok: false, error: `timed out after ${timeoutSec} s` }), timeoutSec * 1000);
  timer.unref();
  ms.client(opts.connect, (err, stream) => {
    if (err) return finish({ ok: false, error: String(err.message || err) });
    // net: half-close (goodbye) right after the data. ws: pull-websocket closes the whole WebSocket when
    // the sink ends, so the goodbye waits until the whole echo was read (read-exactly).
    const halfClose = (opts.end || (String(opts.connect).startsWith('net:') ? 'half-close' : 'exact')) === 'half-close';
    let sent = 0;
    let endWaiter = null;
    let received = 0;
    const hash = crypto.createHash('sha256');
    let verified = null;
    const verify = () => {
      if (verified) return verified;
      const expected = crypto.createHash('sha256');
      for (let off = 0; off < total; off += CHUNK) {
        const n = Math.min(CHUNK, total - off);
        expected.update(BLOCK.subarray(off % 251, off % 251 + n));
      }
      const got = hash.digest('hex');
      const want = expected.digest('hex');
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      verified = received !== total || got !== want
        ? { ok: false, error: `echo mismatch: ${received} of ${total} bytes, sha256 ${got} != ${want}`, bytes: received }
        : { ok: true, bytes: received, sha256: got, remote: stream.address, mbps: (total * 8 * 2) / seconds / 1e6 };
      return verified;
    };
    const source = (end, cb) => {
      if (end) return cb(end);
      if (sent >= total) {
        if (halfClose || received >= total) return cb(true); // ends the box-stream: goodbye
        endWaiter = cb;
        return undefined;
      }
      const n = Math.min(CHUNK, total - sent);
      const off = sent % 251;
      sent += n;
      cb(null, Buffer.from(BLOCK.subarray(off, off + n)));
    };
    pull(source, stream.sink);
    pull(
      stream.source,
      pull.drain(
        (data) => {
          hash.update(data);
          received += data.length;
          if (!halfClose && received >= total && endWaiter) {
            const waiter = endWaiter;
            endWaiter = null;
            const result = verify();
            waiter(true); // goodbye, then give it a moment to reach the wire before exiting
            setTimeout(() => finish(result), 200);
          }
        },
        (end) => {
          if (end && end !== true && received < total) {
            return finish({ ok: false, error: String(end.message || end), bytes: received });
          }
          finish(verify());
        },
      ),
    );
  });
}

const { cmd, opts } = parseArgs(process.argv.slice(2));
if (cmd === 'server') server(opts).catch((e) => { print({ event: 'error', error: String(e.message || e) }); process.exit(1); });
else client(opts);
