import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addHostsEntry, hostsEntry, parseExtraHosts, parseResolvConf, removeHostsEntry, renderHosts, renderResolvConf } from './etc-files.js';

test('/etc/hosts: standard entries, extra hosts, links, then the container itself', () => {
  const text = renderHosts({
    address: '10.1.0.2',
    hostname: 'web',
    domainname: 'example.org',
    extraHosts: parseExtraHosts(['db:10.9.9.9', 'gw:host-gateway'], '10.1.0.1'),
    links: [{ ip: '10.1.0.3', names: ['alias', 'abc', 'other'] }],
  });
  const lines = text.trimEnd().split('\n');
  assert.equal(lines[0], '127.0.0.1\tlocalhost');
  assert.deepEqual(lines.slice(6), ['10.9.9.9\tdb', '10.1.0.1\tgw', '10.1.0.3\talias abc other', '10.1.0.2\tweb.example.org web']);
  assert.equal(renderHosts({ hostname: 'h', domainname: '', extraHosts: [], links: [] }).split('\n').length, 7);
});

test('resolv.conf on a user network points at the embedded server, with ndots:0', () => {
  const host = parseResolvConf('# comment\nnameserver 127.0.0.53\nsearch lan corp\noptions edns0\n');
  assert.deepEqual(host, { nameservers: ['127.0.0.53'], search: ['lan', 'corp'], options: ['edns0'] });
  const text = renderResolvConf({ host, embedded: true, dns: [], dnsSearch: [], dnsOptions: [] });
  assert.deepEqual(text.split('\n').filter((l) => l.startsWith('nameserver')), ['nameserver 127.0.0.11']);
  assert.match(text, /^search lan corp$/m);
  assert.match(text, /^options edns0 ndots:0$/m);
});

test('resolv.conf on the default bridge: --dns wins, loopback servers are dropped for Google\'s', () => {
  const host = parseResolvConf('nameserver 127.0.0.53\n');
  assert.equal(renderResolvConf({ host, dns: [], dnsSearch: [], dnsOptions: [] }), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
  assert.equal(renderResolvConf({ host, dns: ['1.1.1.1'], dnsSearch: ['a'], dnsOptions: ['rotate'] }), 'nameserver 1.1.1.1\nsearch a\noptions rotate\n');
});

test('/etc/hosts on connect/disconnect: one entry added or removed, the rest of the file kept', () => {
  assert.equal(hostsEntry('10.1.0.2', 'web', ''), '10.1.0.2\tweb');
  assert.equal(hostsEntry('10.1.0.2', 'web', 'example.org'), '10.1.0.2\tweb.example.org web');
  assert.equal(hostsEntry('10.1.0.2', 'a.b', ''), '10.1.0.2\ta.b a');
  const base = renderHosts({ address: '10.1.0.2', hostname: 'web', domainname: '', extraHosts: [], links: [] });
  const edited = `${base}10.7.7.7\tmine`;
  const added = addHostsEntry(edited, '10.2.0.5\tweb');
  assert.equal(added, `${base}10.7.7.7\tmine\n10.2.0.5\tweb\n`);
  assert.equal(addHostsEntry(added, '10.2.0.5\tweb'), added, 'added twice');
  assert.equal(removeHostsEntry(added, '10.2.0.5\tweb'), `${base}10.7.7.7\tmine\n`);
  assert.equal(removeHostsEntry(base, '10.1.0.2\tweb'), base.replace('10.1.0.2\tweb\n', ''));
});
