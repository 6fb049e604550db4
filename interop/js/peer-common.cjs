'use strict';
// Shared by Weft's npm yamux peers: the CLI (see interop/README.md), the deterministic pattern, the
// echo server logic and the three client operations. Each peer supplies an adapter that turns its
// library's streams into a small common shape:
//
//   adapter.serveSocket(socket, onStream)   server role; calls onStream(s) for every accepted stream
//   adapter.connect(socket) -> session      client role; session = { open(): Promise<s>,
//                                             ping(): Promise<void>, close(): void }
//   s = { id, write(buf): Promise, closeWrite(): Promise, reset(): void,
//         on(handlers: { data(buf), end(), error(err, isReset) }) }
//
// All stdout output is whole JSON lines (plus the single `listening HOST:PORT` line).

const net = require('node:net');
const crypto = require('node:crypto');

// ---------------------------------------------------------------------------------------------
// CLI

const USAGE = `usage:
  PEER server    --listen HOST:PORT [--reset-after BYTES] [--window BYTES] [--ignore-stdin] [--raw]
  PEER client    --connect HOST:PORT --streams N --bytes B [--timeout SEC] [--raw]
  PEER rtt       --connect HOST:PORT --count K --size S [--timeout SEC] [--raw]
  PEER openclose --connect HOST:PORT --count K [--timeout SEC] [--raw]`;

const BOOLEAN_FLAGS = new Set(['ignore-stdin', 'raw']);

function parseArgs(argv) {
  const [cmd, ...rest] = argv;
  if (!['server', 'client', 'rtt', 'openclose'].includes(cmd)) usageExit();
  const opts = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (!a.startsWith('--')) usageExit(`unexpected argument ${a}`);
    let name = a.slice(2);
    let value;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    } else if (BOOLEAN_FLAGS.has(name)) {
      value = true;
    } else {
      if (i + 1 >= rest.length) usageExit(`--${name} needs a value`);
      value = rest[++i];
    }
    opts[name] = value;
  }
  return { cmd, opts };
}

function usageExit(msg) {
  if (msg) process.stderr.write(`${msg}\n`);
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}

function intOpt(opts, name, dflt) {
  if (opts[name] === undefined) return dflt;
  const v = Number(opts[name]);
  if (!Number.isSafeInteger(v)) usageExit(`--${name} must be an integer`);
  return v;
}

function hostPort(s, flag) {
  if (!s) usageExit(`--${flag} HOST:PORT is required`);
  const i = s.lastIndexOf(':');
  if (i < 0) usageExit(`--${flag} must be HOST:PORT`);
  let host = s.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port: Number(s.slice(i + 1)) };
}

function emit(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

// ---------------------------------------------------------------------------------------------
// Pattern: byte i of stream k = (i*7 + k*13 + 3) mod 251, k = 0-based index in opening order.
// It repeats every 251 bytes, so one precomputed block serves every offset.

const CHUNK = 64 * 1024;

function patternBlock(k) {
  const b = Buffer.allocUnsafe(CHUNK + 251);
  for (let i = 0; i < b.length; i++) b[i] = (i * 7 + k * 13 + 3) % 251;
  return b;
}

function patternSlice(block, offset, n) {
  const s = offset % 251;
  return block.subarray(s, s + n);
}

// ---------------------------------------------------------------------------------------------
// Reader: turns data/end/error callbacks into awaitable reads.

class Reader {
  constructor() {
    this.chunks = [];
    this.ended = false;
    this.error = null;
    this.waiter = null;
  }
  attach(s) {
    s.on({
      data: (b) => { this.chunks.push(b); this._wake(); },
      end: () => { this.ended = true; this._wake(); },
      error: (e) => { if (!this.ended) this.error = e; this._wake(); },
    });
    return this;
  }
  _wake() {
    const w = this.waiter;
    this.waiter = null;
    if (w) w();
  }
  // Next chunk, or null at the peer's FIN; throws on reset/error.
  async next() {
    for (;;) {
      if (this.chunks.length > 0) return this.chunks.shift();
      if (this.error) throw this.error;
      if (this.ended) return null;
      await new Promise((r) => { this.waiter = r; });
    }
  }
  async readExactly(n) {
    const parts = [];
    let got = 0;
    while (got < n) {
      const c = await this.next();
      if (c === null) throw new Error(`EOF after ${got} of ${n} bytes`);
      if (got + c.length > n) {
        const take = n - got;
        parts.push(c.subarray(0, take));
        this.chunks.unshift(c.subarray(take));
        got = n;
      } else {
        parts.push(c);
        got += c.length;
      }
    }
    return Buffer.concat(parts, n);
  }
}

// ---------------------------------------------------------------------------------------------
// Server

function runServer(impl, adapter, opts) {
  const { host, port } = hostPort(opts.listen || '127.0.0.1:0', 'listen');
  const resetAfter = intOpt(opts, 'reset-after', -1);
  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.setNoDelay(true);
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    let streams = 0;
    let open = 0;
    let socketClosed = false;
    let sessionError = null;
    const maybeSessionDone = () => {
      if (socketClosed && open === 0) {
        emit({ event: 'session', remote, streams, result: sessionError ? 'error' : 'eof', error: sessionError });
      }
    };
    socket.on('error', (e) => { sessionError = sessionError || e.message; });
    socket.on('close', () => { socketClosed = true; setTimeout(maybeSessionDone, 50); });
    try {
      adapter.serveSocket(socket, (s) => {
        streams++;
        open++;
        echoStream(s, resetAfter, (ev) => {
          emit(ev);
          open--;
          maybeSessionDone();
        });
      }, (err) => { sessionError = sessionError || String(err && err.message || err); });
    } catch (e) {
      sessionError = String(e && e.message || e);
      socket.destroy();
    }
  });
  server.on('error', (e) => {
    process.stderr.write(`${impl}: listen: ${e.message}\n`);
    process.exit(2);
  });
  server.listen(port, host, () => {
    const a = server.address();
    const h = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    process.stdout.write(`listening ${h}:${a.port}\n`);
  });
  if (!opts['ignore-stdin']) {
    process.stdin.on('end', () => process.exit(0));
    process.stdin.on('error', () => process.exit(0));
    process.stdin.resume();
  }
}

// Echo until the peer's FIN, then FIN ours; optional RST after resetAfter received bytes.
function echoStream(s, resetAfter, done) {
  const ev = { event: 'stream', id: s.id, bytes: 0, result: 'eof', error: null };
  let finished = false;
  const finish = (result, error, resetBy) => {
    if (finished) return;
    finished = true;
    ev.result = result;
    ev.error = error;
    if (resetBy) ev.reset_by = resetBy;
    done(ev);
  };
  // Writes, the FIN and a RST run one after another, in the order the events asked for them.
  let chain = Promise.resolve();
  const then = (fn) => {
    chain = chain
      .then(() => (finished ? undefined : fn()))
      .catch((e) => finish('error', String(e && e.message || e)));
  };
  const doReset = () => {
    try {
      s.reset();
      finish('reset', null, 'local');
    } catch (e) {
      finish('error', `sending RST: ${e.message}`);
    }
  };
  if (resetAfter === 0) {
    doReset();
    return;
  }
  s.on({
    data: (b) => {
      if (finished) return;
      ev.bytes += b.length;
      then(() => s.write(b));
      if (resetAfter > 0 && ev.bytes >= resetAfter) then(doReset);
    },
    end: () => {
      then(() => s.closeWrite());
      then(() => finish('eof', null));
    },
    error: (e, isReset) => {
      if (isReset) finish('reset', null, 'remote');
      else finish('error', String(e && e.message || e));
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Client operations

function dial(opts) {
  const { host, port } = hostPort(opts.connect, 'connect');
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true });
    socket.once('connect', () => { socket.removeListener('error', reject); resolve(socket); });
    socket.once('error', reject);
  });
}

function nowUs() {
  return Number(process.hrtime.bigint()) / 1e3;
}

async function withSession(adapter, opts, fn) {
  const socket = await dial(opts);
  const session = adapter.connect(socket);
  try {
    return await fn(session);
  } finally {
    try { session.close(); } catch { /* ignore */ }
    socket.destroy();
  }
}

async function echoOne(session, k, size) {
  const s = await session.open();
  const reader = new Reader().attach(s);
  const block = patternBlock(k);
  const sent = crypto.createHash('sha256');
  const writer = (async () => {
    for (let off = 0; off < size;) {
      const n = Math.min(CHUNK, size - off);
      const b = patternSlice(block, off, n);
      sent.update(b);
      await s.write(b);
      off += n;
    }
    await s.closeWrite();
  })();
  const recv = crypto.createHash('sha256');
  let got = 0;
  const readerDone = (async () => {
    for (;;) {
      const c = await reader.next();
      if (c === null) return;
      got += c.length;
      recv.update(c);
    }
  })();
  const [w, r] = await Promise.allSettled([writer, readerDone]);
  if (w.status === 'rejected') throw new Error(`write: ${w.reason && w.reason.message || w.reason}`);
  if (r.status === 'rejected') throw new Error(`read after ${got} bytes: ${r.reason && r.reason.message || r.reason}`);
  if (got !== size) throw new Error(`echo length ${got}, want ${size}`);
  if (!sent.digest().equals(recv.digest())) throw new Error('echo SHA-256 mismatch');
}

async function opClient(adapter, opts, res) {
  const streams = intOpt(opts, 'streams', 1);
  const size = intOpt(opts, 'bytes', 1 << 20);
  res.streams = streams;
  res.bytes = size;
  await withSession(adapter, opts, async (session) => {
    const t0 = nowUs();
    await session.ping();
    res.ping_us = nowUs() - t0;
    const start = nowUs();
    const results = await Promise.allSettled(
      Array.from({ length: streams }, (_, k) => echoOne(session, k, size)));
    const secs = (nowUs() - start) / 1e6;
    res.seconds = secs;
    res.mbps = (streams * size * 8) / secs / 1e6;
    const errs = results
      .map((r, k) => (r.status === 'rejected' ? `stream ${k}: ${r.reason && r.reason.message || r.reason}` : null))
      .filter(Boolean);
    if (errs.length > 0) {
      const shown = errs.slice(0, 5);
      if (errs.length > 5) shown.push(`... and ${errs.length - 5} more`);
      throw new Error(shown.join('; '));
    }
  });
}

function percentile(sorted, q) {
  let idx = Math.ceil(q * sorted.length) - 1;
  if (idx < 0) idx = 0;
  if (idx >= sorted.length) idx = sorted.length - 1;
  return sorted[idx];
}

async function opRtt(adapter, opts, res) {
  const count = intOpt(opts, 'count', 1000);
  const size = intOpt(opts, 'size', 64);
  if (size < 1 || size > CHUNK) usageExit(`--size must be between 1 and ${CHUNK}`);
  res.count = count;
  res.size = size;
  await withSession(adapter, opts, async (session) => {
    const s = await session.open();
    const reader = new Reader().attach(s);
    const block = patternBlock(0);
    const samples = [];
    for (let i = 0, off = 0; i < count; i++, off += size) {
      const out = patternSlice(block, off, size);
      const t0 = nowUs();
      await s.write(out);
      const got = await reader.readExactly(size);
      samples.push(nowUs() - t0);
      if (!got.equals(out)) throw new Error(`round trip ${i}: echo differs`);
    }
    await s.closeWrite();
    const tail = await reader.next();
    if (tail !== null) throw new Error(`closing: ${tail.length} unexpected bytes`);
    samples.sort((a, b) => a - b);
    if (samples.length > 0) {
      res.p50_us = percentile(samples, 0.5);
      res.p99_us = percentile(samples, 0.99);
      res.mean_us = samples.reduce((a, b) => a + b, 0) / samples.length;
    }
  });
}

async function opOpenClose(adapter, opts, res) {
  const count = intOpt(opts, 'count', 1000);
  res.count = count;
  await withSession(adapter, opts, async (session) => {
    const one = Buffer.from([42]);
    const start = nowUs();
    for (let i = 0; i < count; i++) {
      const s = await session.open();
      const reader = new Reader().attach(s);
      await s.write(one);
      await s.closeWrite();
      let got = 0;
      let last = -1;
      for (;;) {
        const c = await reader.next().catch((e) => { throw new Error(`stream ${i}: ${e.message}`); });
        if (c === null) break;
        got += c.length;
        if (c.length) last = c[c.length - 1];
      }
      if (got !== 1 || last !== 42) throw new Error(`stream ${i}: echo of ${got} bytes, want 1`);
    }
    const secs = (nowUs() - start) / 1e6;
    res.seconds = secs;
    res.per_second = count / secs;
  });
}

// ---------------------------------------------------------------------------------------------

async function main(impl, adapter, argv) {
  const { cmd, opts } = parseArgs(argv);
  if (adapter.configure) adapter.configure(opts);
  if (cmd === 'server') {
    runServer(impl, adapter, opts);
    return;
  }
  const op = { client: opClient, rtt: opRtt, openclose: opOpenClose }[cmd];
  const res = {};
  const timeoutSec = Number(opts.timeout || 120);
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutSec}s`)), timeoutSec * 1000);
  });
  let error = null;
  try {
    await Promise.race([op(adapter, opts, res), timeout]);
  } catch (e) {
    error = String(e && e.message || e);
  }
  clearTimeout(timer);
  emit({ impl, op: cmd, ok: error === null, ...res, error });
  // Exit explicitly: a library's keepalive timers would otherwise keep node alive.
  process.stdout.write('', () => process.exit(error === null ? 0 : 1));
}

module.exports = { main, emit, CHUNK };
