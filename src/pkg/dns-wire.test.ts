import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildQuery,
  buildResponse,
  DnsFormatError,
  parseQuery,
  parseResponse,
  RCODE_NXDOMAIN,
  reverseName,
  TYPE_A,
  TYPE_AAAA,
  TYPE_PTR,
} from './dns-wire.js';

test('a query round-trips through parseQuery and an A answer through parseResponse', () => {
  const q = parseQuery(buildQuery(0x1234, 'Web.Example', TYPE_A));
  assert.deepEqual(q.question, { name: 'web.example', type: TYPE_A, klass: 1 });
  assert.equal(q.id, 0x1234);
  assert.equal(q.rd, true);
  const r = parseResponse(buildResponse(q, 0, [{ type: TYPE_A, ttl: 600, data: '10.1.2.3' }, { type: TYPE_A, ttl: 600, data: '10.1.2.4' }]));
  assert.deepEqual(r, { id: 0x1234, rcode: 0, answers: [{ type: TYPE_A, data: '10.1.2.3' }, { type: TYPE_A, data: '10.1.2.4' }] });
});

test('PTR answers carry a name; NXDOMAIN carries the code and no answer', () => {
  const q = parseQuery(buildQuery(7, '3.2.1.10.in-addr.arpa', TYPE_PTR));
  assert.equal(reverseName(q.question.name), '10.1.2.3');
  assert.deepEqual(parseResponse(buildResponse(q, 0, [{ type: TYPE_PTR, ttl: 600, data: 'web.net' }])).answers, [{ type: TYPE_PTR, data: 'web.net' }]);
  const nx = parseResponse(buildResponse(parseQuery(buildQuery(8, 'nope', TYPE_AAAA)), RCODE_NXDOMAIN));
  assert.equal(nx.rcode, RCODE_NXDOMAIN);
  assert.deepEqual(nx.answers, []);
});

test('malformed packets are refused, pointer loops included', () => {
  assert.throws(() => parseQuery(Buffer.alloc(5)), DnsFormatError);
  const truncated = buildQuery(1, 'abc', TYPE_A).subarray(0, 15);
  assert.throws(() => parseQuery(truncated), DnsFormatError);
  const loop = Buffer.concat([Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
  assert.throws(() => parseQuery(loop), /compression pointers/);
  const response = buildResponse(parseQuery(buildQuery(1, 'a', TYPE_A)), 0);
  assert.throws(() => parseQuery(response), /Not a query/);
});
