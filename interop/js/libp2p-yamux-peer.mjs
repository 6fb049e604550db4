#!/usr/bin/env node
// libp2p-yamux-peer: Weft's interop peer around `@chainsafe/libp2p-yamux` 8.0.1 (ESM), the yamux
// of js-libp2p. CLI: see interop/README.md (server / client / rtt / openclose).
//
// The muxer speaks the libp2p v3 connection API, so a net.Socket is adapted here as an
// AbstractMultiaddrConnection (@libp2p/utils 7.4.1). The yamux role comes from the connection's
// `direction`: 'outbound' = client (odd stream ids), 'inbound' = server (even ids).
// No shims: FIN is stream.close() (half-close), RST is stream.abort(), Ping is muxer.ping().

import { createRequire } from 'node:module';
import { yamux } from '@chainsafe/libp2p-yamux';
import { AbstractMultiaddrConnection } from '@libp2p/utils';
import { logger } from '@libp2p/logger';
import { multiaddr } from '@multiformats/multiaddr';

const require = createRequire(import.meta.url);
const { main } = require('./peer-common.cjs');

const IMPL = 'libp2p-yamux';

// The libp2p v3 stack calls Promise.withResolvers (ES2024, node >= 22); node 20 lacks it.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((res, rej) => { resolve = res; reject = rej; });
    return { promise, resolve, reject };
  };
}
let muxerInit = {};

class SocketConnection extends AbstractMultiaddrConnection {
  constructor(socket, direction) {
    const family = socket.remoteFamily === 'IPv6' ? 'ip6' : 'ip4';
    super({
      remoteAddr: multiaddr(`/${family}/${socket.remoteAddress}/tcp/${socket.remotePort}`),
      direction,
      log: logger(`weft:interop:${direction}`),
    });
    this.socket = socket;
    socket.on('data', (buf) => this.onData(buf));
    socket.on('end', () => this.onRemoteCloseWrite());
    socket.on('drain', () => this.onMuxerDrain()); // dispatches 'drain'
    socket.on('error', (err) => {
      process.stderr.write(`${IMPL}: socket error: ${err.message}\n`);
    });
    socket.on('close', (hadError) => {
      this.onTransportClosed(hadError ? new Error('socket closed with an error') : undefined);
    });
  }

  sendData(data) {
    let sentBytes = 0;
    let canSendMore = true;
    for (const buf of data) {
      sentBytes += buf.byteLength;
      canSendMore = this.socket.write(buf);
    }
    return { sentBytes, canSendMore };
  }

  sendReset() {
    this.socket.resetAndDestroy();
  }

  sendPause() {
    this.socket.pause();
  }

  sendResume() {
    this.socket.resume();
  }

  async sendClose() {
    if (!this.socket.destroyed) this.socket.end();
  }
}

function toBuffer(data) {
  // Uint8Array | Uint8ArrayList -> Buffer (copy only when the list has several parts)
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const u = data.subarray();
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

// Rejections from the libp2p stream can be bare Events (e.g. the 'close' event that aborted a wait).
function explain(stream, err) {
  if (stream.status === 'reset') return new Error('stream reset by peer');
  if (err instanceof Error) return err;
  if (err && err.error instanceof Error) return err.error;
  return new Error(`stream ${stream.status}: ${err && err.type ? `'${err.type}' event` : String(err)}`);
}

function wrap(stream) {
  let ended = false;
  let locallyReset = false;
  return {
    id: Number(stream.id),
    async write(buf) {
      try {
        if (!stream.send(buf)) await stream.onDrain();
      } catch (err) {
        throw explain(stream, err);
      }
    },
    async closeWrite() {
      try {
        await stream.close(); // FIN after all queued data; the read side stays open
      } catch (err) {
        throw explain(stream, err);
      }
    },
    reset() {
      // abort() fires 'close' with the abort error at once; the caller records this reset itself.
      locallyReset = true;
      stream.abort(new Error('reset requested by --reset-after')); // sends RST
    },
    on(h) {
      stream.addEventListener('message', (evt) => h.data(toBuffer(evt.data)));
      stream.addEventListener('remoteCloseWrite', () => {
        // 'message' dispatches may still be queued; 'end' fires once the read buffer is empty.
      });
      stream.addEventListener('end', () => { ended = true; h.end(); });
      stream.addEventListener('close', (evt) => {
        if (locallyReset) {
          return;
        }
        if (evt.error != null) {
          h.error(evt.error, evt.local === false && evt.error.name === 'StreamResetError');
        } else if (!ended) {
          // closed without an 'end' (transport gone): surface it
          h.error(new Error('stream closed without FIN'), false);
        }
      });
    },
  };
}

function createMuxer(socket, direction) {
  socket.setNoDelay(true);
  const conn = new SocketConnection(socket, direction);
  const muxer = yamux({
    enableKeepAlive: true, // default; every 30 s
    keepAliveInterval: 30_000,
    maxInboundStreams: 4096, // default 1000 (concurrent)
    maxOutboundStreams: 4096,
    ...muxerInit,
  })().createStreamMuxer(conn);
  return { conn, muxer };
}

const adapter = {
  configure(opts) {
    if (opts.window !== undefined) {
      muxerInit = { streamOptions: { maxStreamWindowSize: Number(opts.window) } };
    }
  },
  serveSocket(socket, onStream) {
    const { muxer } = createMuxer(socket, 'inbound');
    muxer.addEventListener('stream', (evt) => onStream(wrap(evt.detail)));
  },
  connect(socket) {
    const { muxer } = createMuxer(socket, 'outbound');
    return {
      open: async () => wrap(await muxer.createStream()),
      ping: async () => { await muxer.ping(); },
      close: () => { muxer.abort(new Error('client done')); },
    };
  },
};

main(IMPL, adapter, process.argv.slice(2));
