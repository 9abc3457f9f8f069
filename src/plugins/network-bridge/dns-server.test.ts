import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { test } from 'node:test';
import { buildQuery, buildResponse, parseQuery, parseResponse, RCODE_NXDOMAIN, RCODE_SERVFAIL, TYPE_A, TYPE_AAAA, TYPE_PTR } from '../../pkg/dns-wire.js';
import { EmbeddedDnsServer } from './dns-server.js';

// A real server on loopback (a free high port, not 53), with a real upstream on another loopback port.
const PORT = 20000 + Math.floor(Math.random() * 20000);

function udpAsk(port: number, query: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      reject(new Error('no answer'));
    }, 5000);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(m);
    });
    s.send(query, port, '127.0.0.1');
  });
}

test('answers our names over UDP and TCP, PTR too, and forwards the rest', async () => {
  const upstream = createSocket('udp4');
  await new Promise<void>((r) => upstream.bind(0, '127.0.0.1', () => r()));
  upstream.on('message', (m, rinfo) => {
    upstream.send(buildResponse(parseQuery(m), 0, [{ type: TYPE_A, ttl: 1, data: '192.0.2.77' }]), rinfo.port, rinfo.address);
  });
  const upstreamAddr = `127.0.0.1:${upstream.address().port}`;
  const server = new EmbeddedDnsServer({ port: PORT });
  let upstreams = [upstreamAddr];
  await server.serve('127.0.0.1', {
    resolve: (name) => (name === 'web' ? ['10.1.0.2', '10.1.0.3'] : undefined),
    reverse: (a) => (a === '10.1.0.2' ? 'web.net' : undefined),
    upstreams: () => upstreams,
  });
  try {
    const a = parseResponse(await udpAsk(PORT, buildQuery(1, 'web', TYPE_A)));
    assert.deepEqual(a.answers.map((x) => x.data), ['10.1.0.2', '10.1.0.3']);
    const aaaa = parseResponse(await udpAsk(PORT, buildQuery(2, 'WEB', TYPE_AAAA)));
    assert.deepEqual([aaaa.rcode, aaaa.answers], [0, []]);
    const ptr = parseResponse(await udpAsk(PORT, buildQuery(3, '2.0.1.10.in-addr.arpa', TYPE_PTR)));
    assert.deepEqual(ptr.answers, [{ type: TYPE_PTR, data: 'web.net' }]);
    const fwd = parseResponse(await udpAsk(PORT, buildQuery(4, 'example.com', TYPE_A)));
    assert.deepEqual([fwd.id, fwd.answers[0]?.data], [4, '192.0.2.77']);
    // TCP: a length-prefixed message.
    const tcpAnswer = await new Promise<Buffer>((resolve, reject) => {
      const q = buildQuery(5, 'web', TYPE_A);
      const head = Buffer.alloc(2);
      head.writeUInt16BE(q.length);
      const sock = connect(PORT, '127.0.0.1', () => sock.write(Buffer.concat([head, q])));
      let buf = Buffer.alloc(0);
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          sock.destroy();
          resolve(buf.subarray(2));
        }
      });
      sock.on('error', reject);
    });
    assert.equal(parseResponse(tcpAnswer).answers.length, 2);
    // No upstream: NXDOMAIN; a dead upstream: SERVFAIL. A malformed packet: FORMERR.
    upstreams = [];
    assert.equal(parseResponse(await udpAsk(PORT, buildQuery(6, 'other', TYPE_A))).rcode, RCODE_NXDOMAIN);
    const formErr = await udpAsk(PORT, Buffer.from([0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, 0x61]));
    assert.equal(formErr.readUInt16BE(2) & 0xf, 1);
    upstream.close();
    upstreams = [upstreamAddr];
    assert.equal(parseResponse(await udpAsk(PORT, buildQuery(7, 'other', TYPE_A))).rcode, RCODE_SERVFAIL);
  } finally {
    await server.close();
    try {
      upstream.close();
    } catch {
      // Closed above.
    }
  }
});
