import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { test } from 'node:test';
import { IpBatchProcess } from './ip-batch-process.js';
import { discard, SandboxPool } from './sandbox-pool.js';

// Real processes in real network namespaces (unshare --net): nothing on the host's network is touched, and
// every namespace goes with its process.

const ownNetns = readlinkSync('/proc/self/ns/net');

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '); i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
}

test('an ip helper in its own namespace runs lines as they come and stops at the first failure', async () => {
  const p = new IpBatchProcess('unshare', ['--net', 'ip', '-batch', '-']);
  assert.ok(p.pid > 0);
  await p.run(['link set lo up']);
  assert.notEqual(readlinkSync(`/proc/${p.pid}/ns/net`), ownNetns, 'the helper is in a namespace of its own');
  // A second batch on the same process: a dummy device, then a failing line.
  await p.run(['link add d0 type veth peer name d1', 'link set d0 up']);
  await assert.rejects(p.run(['link set nosuchdev up']), /Cannot find device "nosuchdev"|does not exist/);
  assert.equal(p.alive, false);
  await assert.rejects(p.run(['link set lo up']), /Cannot find device|does not exist/, 'a dead helper refuses at once, with why it died');
  assert.ok(await gone(p.pid));
});

test('finish runs the last lines and resolves on a clean exit; end and kill stop an idle helper', async () => {
  const a = new IpBatchProcess('unshare', ['--net', 'ip', '-batch', '-']);
  await a.finish(['link set lo up', 'link add d0 type veth peer name d1']);
  assert.equal(await a.exited(), 0);
  const b = new IpBatchProcess('unshare', ['--net', 'ip', '-batch', '-']);
  await assert.rejects(b.finish(['link del nosuchdev']), /Cannot find device|does not exist/);
  const c = new IpBatchProcess('unshare', ['--net', 'ip', '-batch', '-']);
  await c.run(['link set lo up']);
  c.end();
  assert.equal(await c.exited(), 0);
  const d = new IpBatchProcess('unshare', ['--net', 'ip', '-batch', '-']);
  d.kill();
  assert.equal(await d.exited(), null);
  const e = new IpBatchProcess('/nonexistent/ip', ['-batch', '-']);
  await assert.rejects(e.run(['link set lo up']), /ENOENT/);
});

test('the pool hands out ready namespaces with loopback up, refills, and leaves no process behind', async () => {
  const pool = new SandboxPool({ size: 2, refillDelayMs: 0 });
  pool.warm();
  await new Promise((r) => setTimeout(r, 50));
  const first = pool.take();
  await first.ready;
  const ns = readlinkSync(`/proc/${first.inside.pid}/ns/net`);
  assert.notEqual(ns, ownNetns);
  // Loopback is up inside.
  const lo = spawnSync('nsenter', [`--net=/proc/${first.inside.pid}/ns/net`, 'ip', '-o', 'link', 'show', 'dev', 'lo'], { encoding: 'utf8' });
  assert.match(lo.stdout, /<LOOPBACK,UP,LOWER_UP>/);
  const second = pool.take();
  await second.ready;
  assert.notEqual(readlinkSync(`/proc/${second.inside.pid}/ns/net`), ns, 'two takes, two namespaces');
  await second.host.finish([]);
  // Refilled after the takes.
  await new Promise((r) => setTimeout(r, 100));
  const third = pool.take();
  await third.ready;
  const pids = [first, second, third].flatMap((e) => [e.inside.pid, e.host.pid]);
  for (const e of [first, second, third]) {
    e.inside.end();
    e.host.kill();
  }
  pool.close();
  for (const pid of pids) assert.ok(await gone(pid), `helper ${pid} still runs`);
  // A dead entry in the pool is never handed out.
  const p2 = new SandboxPool({ size: 1, refillDelayMs: 0 });
  p2.warm();
  await new Promise((r) => setTimeout(r, 50));
  const taken = p2.take();
  taken.inside.kill();
  await taken.inside.exited();
  const next = p2.take();
  assert.notEqual(next.inside.pid, taken.inside.pid);
  await next.ready;
  next.inside.kill();
  next.host.kill();
  p2.close();
});

test('an entry taken with its iptables helper: the helper works in the entry\'s namespace, never the daemon\'s', async () => {
  const pool = new SandboxPool({ size: 1, refillDelayMs: 0 });
  const entry = pool.take({ firewall: true });
  await entry.ready;
  const helper = await entry.firewall!;
  const target = readlinkSync(`/proc/${entry.inside.pid}/ns/net`);
  // nsenter joins, then execs the shell: its namespace is the entry's once it waits for its rules.
  for (let i = 0; i < 100 && readlinkSync(`/proc/${helper.pid}/ns/net`) !== target; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(readlinkSync(`/proc/${helper.pid}/ns/net`), target);
  await helper.finish(['*nat', ':PROBE - [0:0]', 'COMMIT']);
  const inside = (args: string[]) => spawnSync('nsenter', [`--net=/proc/${entry.inside.pid}/ns/net`, ...args], { encoding: 'utf8' }).stdout;
  assert.match(inside(['iptables-save', '-t', 'nat']), /^:PROBE /m);
  assert.equal(inside(['cat', '/proc/sys/net/ipv4/conf/all/route_localnet']).trim(), '1', 'route_localnet comes after the rules');
  assert.doesNotMatch(spawnSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }).stdout, /^:PROBE /m, 'nothing reached the host');
  // Entries made after such a take come with their helper already started.
  await new Promise((r) => setTimeout(r, 50));
  const next = pool.take();
  assert.ok(next.firewall, 'the refill did not start a helper');
  for (const e of [entry, next]) discard(e);
  pool.close();
  assert.ok(await gone(entry.inside.pid));
});
