#!/usr/bin/env node
'use strict';
// yamux-js-peer: Weft's interop peer around the npm package `yamux-js` 0.2.0 (CommonJS).
// CLI: see interop/README.md (server / client / rtt / openclose).
//
// yamux-js 0.2.0 cannot carry an echo over real TCP on its own (verified against Go yamux; see
// interop/README.md). Unless --raw is given, this peer therefore feeds the library through a few
// small, documented shims that act only on whole frames read from the socket:
//   S1 frame alignment  - the library drops bytes when a frame (even its 12-byte header) is split
//                         across socket reads; we hand it exactly one whole frame per write.
//   S2 SYN split        - it treats a frame as "new stream" only if flags == SYN exactly and then
//                         ignores the frame's payload/window/other flags; we deliver a bare SYN
//                         window update first, then the same frame without SYN.
//   S3 FIN delivery     - it never ends the readable side on the peer's FIN; we end it (push(null))
//                         once the FIN frame has been processed.
//   S4 RST delivery     - it marks a stream reset (only for flags == RST exactly) but never tells
//                         the stream's user; we destroy the stream with an error.
//   S5 stream cleanup   - it never removes a finished stream from its table, so after
//                         `acceptBacklog` streams every new one is RST; we remove streams once both
//                         FINs (or a RST) were seen.
// Sending needs no shim: FIN is stream.close() after all writes finished (end() alone sends no
// FIN), RST and Ping go through the session's public send() with a hand-built 12-byte header.

const path = require('node:path');
const util = require('node:util');
const { Server, Client } = require('yamux-js');
const { main } = require(path.join(__dirname, 'peer-common.cjs'));

const IMPL = 'yamux-js';
const T_DATA = 0;
const T_WINDOW = 1;
const T_PING = 2;
const F_SYN = 1;
const F_ACK = 2;
const F_FIN = 4;
const F_RST = 8;
const MAX_FRAME = 16 * 1024 * 1024; // refuse absurd lengths rather than buffer them

let raw = false;
let config = {};

function header(type, flags, id, length) {
  const h = Buffer.alloc(12);
  h.writeUInt8(0, 0);
  h.writeUInt8(type, 1);
  h.writeUInt16BE(flags, 2);
  h.writeUInt32BE(id, 4);
  h.writeUInt32BE(length, 8);
  return h;
}

// session.send() only calls encode() on what it is given.
function sendRaw(session, buf) {
  session.send({ encode: () => buf });
}

// Splits a byte stream into whole yamux frames.
class FrameSplitter {
  constructor(onFrame) {
    this.onFrame = onFrame;
    this.buf = Buffer.alloc(0);
  }
  push(chunk) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let off = 0;
    while (this.buf.length - off >= 12) {
      const type = this.buf.readUInt8(off + 1);
      const length = this.buf.readUInt32BE(off + 8);
      const total = 12 + (type === T_DATA ? length : 0);
      if (type === T_DATA && length > MAX_FRAME) throw new Error(`data frame of ${length} bytes`);
      if (this.buf.length - off < total) break;
      this.onFrame(this.buf.subarray(off, off + total));
      off += total;
    }
    this.buf = off === this.buf.length ? Buffer.alloc(0) : Buffer.from(this.buf.subarray(off));
  }
}

// Wires a yamux-js session to a socket; returns { wrap(stream) } for the common adapter shape.
function attach(session, socket, onSessionError) {
  const pings = new Map(); // our own ping ids -> resolve
  const states = new Map(); // stream id -> { localFin, remoteFin }
  const stateOf = (id) => {
    let st = states.get(id);
    if (!st) states.set(id, (st = { localFin: false, remoteFin: false }));
    return st;
  };
  const cleanup = (id) => { // S5
    if (raw) return;
    const st = states.get(id);
    if (st && st.localFin && st.remoteFin) {
      states.delete(id);
      session.closeStream(id);
    }
  };

  const watchPing = (frame) => {
    const type = frame.readUInt8(1);
    const flags = frame.readUInt16BE(2);
    if (type === T_PING && (flags & F_ACK)) {
      const r = pings.get(frame.readUInt32BE(8));
      if (r) r();
    }
  };

  session.on('error', (e) => {
    process.stderr.write(`${IMPL}: session error: ${e.message}\n`);
    onSessionError(e);
  });
  session.pipe(socket);

  if (raw) {
    socket.pipe(session);
    const tap = new FrameSplitter(watchPing);
    socket.on('data', (c) => { try { tap.push(c); } catch { /* observation only */ } });
  } else {
    const deliver = (frame, after) => {
      if (!session.write(frame, after)) {
        socket.pause();
        session.once('drain', () => socket.resume());
      }
    };
    const splitter = new FrameSplitter((frame) => {
      watchPing(frame);
      const type = frame.readUInt8(1);
      const flags = frame.readUInt16BE(2);
      const id = frame.readUInt32BE(4);
      const length = frame.readUInt32BE(8);
      if (type !== T_DATA && type !== T_WINDOW) {
        deliver(Buffer.from(frame));
        return;
      }
      let f = Buffer.from(frame);
      if ((flags & F_SYN) && (flags !== F_SYN || length !== 0)) { // S2
        deliver(header(T_WINDOW, F_SYN, id, 0));
        f.writeUInt16BE(flags & ~F_SYN, 2);
        if (type === T_WINDOW && length === 0 && (flags & ~F_SYN) === 0) f = null;
      }
      const stream = session.streams.get(id);
      const after = () => {
        const s = stream || session.streams.get(id);
        if (!s) return;
        if (flags & F_RST) { // S4
          states.delete(id);
          session.closeStream(id);
          const err = new Error('stream reset by peer');
          err.code = 'YAMUX_RST';
          s.destroy(err);
        } else if (flags & F_FIN) { // S3
          stateOf(id).remoteFin = true;
          s.push(null);
          cleanup(id);
        }
      };
      if (f) deliver(f, after);
      else after();
    });
    socket.on('data', (c) => {
      try {
        splitter.push(c);
      } catch (e) {
        onSessionError(e);
        socket.destroy();
      }
    });
    socket.on('end', () => session.end());
  }
  socket.on('close', () => { try { session.close(); } catch { /* already closed */ } });

  let nextPing = 0x57454600; // 'WEF\0': far from the library's own keepalive ids (0, 1, 2, ...)
  return {
    ping() {
      const id = nextPing++;
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => { pings.delete(id); reject(new Error('ping timeout')); }, 10_000);
        pings.set(id, () => { clearTimeout(t); pings.delete(id); resolve(); });
        sendRaw(session, header(T_PING, F_SYN, 0, id));
      });
    },
    wrap(st) {
      const id = st.ID();
      let ended = false;
      let failed = false;
      return {
        id,
        write(buf) {
          return new Promise((resolve, reject) => {
            const onErr = (e) => reject(e);
            st.once('error', onErr);
            st.write(buf, (e) => {
              st.removeListener('error', onErr);
              if (e) reject(e); else resolve();
            });
          });
        },
        closeWrite() {
          return new Promise((resolve) => {
            st.once('finish', () => {
              st.close(); // sends FIN
              stateOf(id).localFin = true;
              cleanup(id);
              resolve();
            });
            st.end();
          });
        },
        reset() {
          sendRaw(session, header(T_WINDOW, F_RST, id, 0));
          st.forceClose();
          states.delete(id);
          session.closeStream(id);
          failed = true;
          st.destroy();
        },
        on(h) {
          st.on('data', (b) => h.data(b));
          st.on('end', () => { ended = true; h.end(); });
          st.on('error', (e) => { failed = true; h.error(e, e && e.code === 'YAMUX_RST'); });
          st.on('close', () => {
            if (!ended && !failed) h.error(new Error('stream closed without FIN'), false);
          });
        },
      };
    },
  };
}

function sessionConfig() {
  return {
    acceptBacklog: 4096, // default 256 (counts every stream the library still tracks)
    enableKeepAlive: true, // default; every 30 s
    keepAliveInterval: 30,
    connectionWriteTimeout: 30, // default 10 s
    ...(config.window ? { maxStreamWindowSize: config.window } : {}),
    logger: (...args) => process.stderr.write(`${util.format(...args)}\n`),
  };
}

const adapter = {
  configure(opts) {
    raw = Boolean(opts.raw);
    if (opts.window !== undefined) config.window = Number(opts.window);
  },
  serveSocket(socket, onStream, onSessionError) {
    let a = null;
    const session = new Server((st) => onStream(a.wrap(st)), sessionConfig());
    a = attach(session, socket, onSessionError);
  },
  connect(socket) {
    const session = new Client(sessionConfig());
    const a = attach(session, socket, () => socket.destroy());
    return {
      open: async () => a.wrap(session.open()),
      ping: () => a.ping(),
      close: () => session.close(),
    };
  },
};

main(IMPL, adapter, process.argv.slice(2));
