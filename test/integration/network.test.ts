// Networking with real bridges, veths, namespaces and iptables (nft): user networks with name resolution,
// isolation, published ports from the host, the default bridge with --link, errors in Docker's words, and
// cleanup after a kill -9 of berthd. Lean: few containers, short timeouts, real traffic.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { freePort } from '../distribution-registry.js';
import { networkLeftovers, startTestDaemon, useTestDaemon } from '../harness.js';

const daemon = useTestDaemon();
const docker = (args: string[]) => daemon().docker(args, { timeoutMs: 30_000 });

function ok(args: string[]): string {
  const r = docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

function httpGet(port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/index.html', agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** A busybox httpd serving `text` at /index.html. */
/**
 * Fetches /index.html of a name from inside a container, resolved by DNS alone (busybox nslookup asks
 * resolv.conf's server; /etc/hosts plays no part) and fetched with nc. Exit 2: the name did not resolve.
 */
const GET = (ip: string) => `set -o pipefail; printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${ip} 80 | tail -n 1`;
const FETCH = (name: string) => ['sh', '-c', `ip=$(nslookup ${name} | awk '/^Name:/{n=1} n&&/^Address/{print $NF; exit}'); [ -n "$ip" ] || exit 2; ${GET('$ip')}`];

const HTTPD = (text: string) => ['sh', '-c', `mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 80 -h /www`];

describe('user-defined networks', () => {
  it('create, ls, inspect with IPAM; containers resolve each other by name and alias and fetch over HTTP', () => {
    const subnet = daemon().net.block.replace(/\.0\/20$/, '.0/24').replace(/^(10\.\d+\.)(\d+)/, (_m, a: string, b: string) => `${a}${Number(b) + 8}`);
    const id = ok(['network', 'create', '--subnet', subnet, '--label', 'team=a', 'na']);
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.match(ok(['network', 'ls', '--format', '{{.Name}} {{.Driver}}']), /^na bridge$/m);
    assert.match(ok(['network', 'ls', '--filter', 'label=team=a', '-q']), new RegExp(`^${id.slice(0, 12)}$`));
    const inspect = JSON.parse(ok(['network', 'inspect', 'na']))[0];
    assert.equal(inspect.IPAM.Config[0].Subnet, subnet);
    ok(['run', '-d', '--name', 'web', '--network', 'na', '--network-alias', 'www', 'busybox', ...HTTPD('hello-na')]);
    const ip = ok(['inspect', '-f', '{{.NetworkSettings.Networks.na.IPAddress}}', 'web']);
    assert.equal(ip, subnet.replace(/0\/24$/, '2'));
    const withContainers = JSON.parse(ok(['network', 'inspect', 'na']))[0];
    assert.equal(Object.values(withContainers.Containers as Record<string, { Name: string }>)[0]!.Name, 'web');
    // By name with the image's own resolver (glibc: /etc/hosts, then the embedded DNS), as in the issue.
    assert.equal(ok(['run', '--rm', '--network', 'na', 'busybox', 'wget', '-qO-', 'http://web/']), 'hello-na');
    assert.equal(ok(['run', '--rm', '--network', 'na', 'busybox', 'wget', '-qO-', 'http://www.na/']), 'hello-na');
    assert.equal(ok(['run', '--rm', '--network', 'na', 'busybox', ...FETCH('www')]), 'hello-na');
    const lookup = ok(['run', '--rm', '--network', 'na', 'busybox', 'nslookup', 'web']);
    assert.match(lookup, new RegExp(ip.replace(/\./g, '\\.')));
    // The container's own files, as Docker writes them.
    const files = ok(['run', '--rm', '--network', 'na', '--hostname', 'h1', '--domainname', 'example.org', '--add-host', 'gw:host-gateway', '--dns-search', 'corp', 'busybox', 'sh', '-c', 'cat /etc/hosts /etc/resolv.conf']);
    assert.match(files, /\th1\.example\.org h1$/m);
    assert.match(files, new RegExp(`^${inspect.IPAM.Config[0].Gateway.replace(/\./g, '\\.')}\\tgw$`, 'm'));
    assert.match(files, /^search corp$/m);
    // Docker's embedded resolver address, sent on (DNAT inside the container's namespace) to the network's.
    assert.deepEqual(files.split('\n').filter((l) => l.startsWith('nameserver')), ['nameserver 127.0.0.11']);
    assert.match(files, /^options .*ndots:0$/m);
    assert.match(ok(['run', '--rm', '--network', 'na', 'busybox', 'nslookup', 'web', '127.0.0.11']), new RegExp(ip.replace(/\./g, '\\.')));
  });

  it('the 127.0.0.11 redirect lets no one else reach the container\'s loopback', async () => {
    // route_localnet (needed by the redirect) would accept 127/8 from the wire: a raw-table rule refuses it.
    // From a second container's namespace with a route to 127.0.0.1 through web's address, a datagram to a
    // socket of web's that listens on 127.0.0.1 must not arrive. (UDP: one packet in is the whole exposure.)
    ok(['run', '-d', '--name', 'probe', '--network', 'na', 'busybox', 'sleep', '60']);
    try {
      const webIp = ok(['inspect', '-f', '{{.NetworkSettings.Networks.na.IPAddress}}', 'web']);
      const inNs = (name: string) => [`--net=/proc/${ok(['inspect', '-f', '{{.State.Pid}}', name])}/ns/net`];
      const listen = `const s=require('dgram').createSocket('udp4');s.on('message',(m)=>{console.log('got '+m);process.exit(0)});s.bind(81,'127.0.0.1',()=>console.log('ready'));setTimeout(()=>{console.log('none');process.exit(0)},2000)`;
      const listener = spawn('nsenter', [...inNs('web'), process.execPath, '-e', listen], { stdio: ['ignore', 'pipe', 'inherit'] });
      let heard = '';
      const exited = new Promise<void>((resolve) => listener.on('exit', () => resolve()));
      await new Promise<void>((resolve) => listener.stdout.on('data', (d: Buffer) => ((heard += d.toString()), heard.includes('ready') && resolve())));
      const send = `const s=require('dgram').createSocket('udp4');s.send('from-probe',81,'127.0.0.1',()=>s.close())`;
      const script = [
        'echo 1 > /proc/sys/net/ipv4/conf/all/route_localnet',
        // Loopback addresses no longer local here: 127.0.0.1 goes out to web.
        'ip route del local 127.0.0.0/8 table local dev lo',
        'ip route del local 127.0.0.1 table local dev lo',
        `ip route add 127.0.0.1/32 via ${webIp} dev eth0`,
        `exec ${process.execPath} -e "${send}"`,
      ].join(' && ');
      const r = spawnSync('nsenter', [...inNs('probe'), 'sh', '-c', script], { encoding: 'utf8', timeout: 15_000 });
      assert.equal(r.status, 0, r.stderr);
      await exited;
      assert.equal(heard.trim().split('\n').pop(), 'none');
    } finally {
      ok(['rm', '-f', 'probe']);
    }
  });

  it('isolates two user networks, and an --internal network has no route out', () => {
    ok(['network', 'create', 'nb']);
    const ipA = ok(['inspect', '-f', '{{.NetworkSettings.Networks.na.IPAddress}}', 'web']);
    const r = docker(['run', '--rm', '--network', 'nb', 'busybox', 'sh', '-c', GET(ipA)]);
    assert.notEqual(r.code, 0, 'a container on nb reached a container on na');
    // ...and nb does not even know the name.
    assert.equal(docker(['run', '--rm', '--network', 'nb', 'busybox', ...FETCH('web')]).code, 2);
    ok(['network', 'create', '--internal', 'ni']);
    const route = ok(['run', '--rm', '--network', 'ni', 'busybox', 'ip', 'route']);
    assert.doesNotMatch(route, /default/);
  });

  it('connect and disconnect a running container: its /etc/hosts and the embedded DNS follow', () => {
    const hostname = ok(['inspect', '-f', '{{.Config.Hostname}}', 'web']);
    const ownNa = new RegExp(`^${ok(['inspect', '-f', '{{.NetworkSettings.Networks.na.IPAddress}}', 'web']).replace(/\./g, '\\.')}\\t${hostname}$`, 'm');
    ok(['network', 'connect', '--alias', 'web2', 'nb', 'web']);
    const nbIp = ok(['inspect', '-f', '{{.NetworkSettings.Networks.nb.IPAddress}}', 'web']);
    const ownNb = new RegExp(`^${nbIp.replace(/\./g, '\\.')}\\t${hostname}$`, 'm');
    const hosts = ok(['exec', 'web', 'cat', '/etc/hosts']);
    assert.match(hosts, ownNb, 'no /etc/hosts entry for the new address');
    assert.match(hosts, ownNa);
    assert.equal(ok(['run', '--rm', '--network', 'nb', 'busybox', ...FETCH('web2')]), 'hello-na');
    assert.match(ok(['exec', 'web', 'ip', '-o', 'addr']), /eth1/);
    // As with Docker's resolver, a container on two networks resolves names of both.
    ok(['run', '-d', '--name', 'onb', '--network', 'nb', 'busybox', ...HTTPD('hello-nb')]);
    assert.equal(ok(['exec', 'web', ...FETCH('onb')]), 'hello-nb');
    // Started on na, connected to nb, then taken off na: its resolver now asks nb's name server.
    ok(['run', '-d', '--name', 'mover', '--network', 'na', 'busybox', 'sleep', '60']);
    ok(['network', 'connect', 'nb', 'mover']);
    ok(['network', 'disconnect', 'na', 'mover']);
    assert.equal(ok(['exec', 'mover', ...FETCH('onb')]), 'hello-nb');
    ok(['rm', '-f', 'mover', 'onb']);
    const again = docker(['network', 'connect', 'nb', 'web']);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /endpoint with name web already exists in network nb/);
    ok(['network', 'disconnect', 'nb', 'web']);
    assert.doesNotMatch(ok(['exec', 'web', 'ip', '-o', 'addr']), /eth1/);
    const after = ok(['exec', 'web', 'cat', '/etc/hosts']);
    assert.doesNotMatch(after, ownNb, 'the entry of the disconnected address stayed');
    assert.match(after, ownNa);
    // nb no longer knows the name (exit 2: did not resolve).
    assert.equal(docker(['run', '--rm', '--network', 'nb', 'busybox', ...FETCH('web2')]).code, 2);
  });

  it('publishes network connect/disconnect events at container start and stop', () => {
    const since = String(Math.floor(Date.now() / 1000) - 1);
    ok(['run', '--name', 'evc', '--network', 'nb', 'busybox', 'true']);
    ok(['run', '--name', 'evn', '--network', 'none', 'busybox', 'true']);
    const ids = [ok(['inspect', '-f', '{{.Id}}', 'evc']), ok(['inspect', '-f', '{{.Id}}', 'evn'])];
    ok(['rm', 'evc', 'evn']);
    const until = String(Math.floor(Date.now() / 1000) + 1);
    const out = ok(['events', '--since', since, '--until', until, '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{if eq .Type "network"}}{{.Actor.Attributes.container}}{{else}}{{.Actor.ID}}{{end}}']);
    // Docker's order: network connect, start, die, network disconnect, destroy.
    const seq = (id: string) => out.split('\n').filter((l) => l.endsWith(id) && /^(network|container) (connect|start|die|disconnect|destroy) /.test(l)).map((l) => l.split(' ').slice(0, 3).join(' '));
    assert.deepEqual(seq(ids[0]!), ['network connect nb', 'container start evc', 'container die evc', 'network disconnect nb', 'container destroy evc']);
    assert.deepEqual(seq(ids[1]!), ['network connect none', 'container start evn', 'container die evn', 'network disconnect none', 'container destroy evn']);
  });

  it('refuses bad input in Docker words', () => {
    const na = JSON.parse(ok(['network', 'inspect', 'na']))[0];
    const overlap = docker(['network', 'create', '--subnet', na.IPAM.Config[0].Subnet, 'nover']);
    assert.notEqual(overlap.code, 0);
    assert.match(overlap.stderr, /Pool overlaps with other one on this address space/);
    const busy = docker(['network', 'rm', 'na']);
    assert.notEqual(busy.code, 0);
    assert.match(busy.stderr, /has active endpoints/);
    assert.match(docker(['network', 'inspect', 'nosuch']).stderr, /network nosuch not found/);
    assert.match(docker(['run', '--rm', '--network', 'nosuch', 'busybox', 'true']).stderr, /network nosuch not found/);
    assert.match(docker(['network', 'connect', 'host', 'web']).stderr, /container cannot be disconnected from host network or connected to host network/);
    assert.match(docker(['network', 'rm', 'bridge']).stderr, /bridge is a pre-defined network and cannot be removed/);
  });

  it('returns Docker status codes through the API', async () => {
    const d = daemon();
    assert.equal((await d.api('DELETE', '/networks/na')).status, 409);
    assert.equal((await d.api('GET', '/networks/nosuch')).status, 404);
    const overlap = await d.api('POST', '/networks/create', { Name: 'x', IPAM: { Config: [{ Subnet: JSON.parse(ok(['network', 'inspect', 'na']))[0].IPAM.Config[0].Subnet }] } });
    assert.equal(overlap.status, 403);
    const badPort = await d.api('POST', '/containers/create', { Image: 'busybox', HostConfig: { PortBindings: { '80x/tcp': [{ HostPort: '1' }] } } });
    assert.equal(badPort.status, 400);
    assert.match(badPort.body, /invalid port specification: \\"80x\/tcp\\"/);
    const connectHost = await d.api('POST', '/networks/host/connect', { Container: 'web' });
    assert.equal(connectHost.status, 400);
  });
});

describe('the berth CLI', () => {
  it('network create/ls/inspect/connect/rm and run --network --ip --mac-address', () => {
    const berth = (args: string[]) => {
      const r = daemon().berth(args, { timeoutMs: 30_000 });
      assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
      return r.stdout.trim();
    };
    const subnet = daemon().net.block.replace(/^(10\.\d+\.)(\d+)\.0\/20$/, (_m, a: string, b: string) => `${a}${Number(b) + 9}.0/24`);
    const prefix = subnet.replace(/0\/24$/, '');
    berth(['network', 'create', '--subnet', subnet, '--ip-range', `${prefix}128/25`, '-o', 'com.docker.network.bridge.enable_ip_masquerade=false', 'nc1']);
    assert.match(berth(['network', 'ls']), /^NETWORK ID +NAME +DRIVER +SCOPE\n/);
    assert.match(berth(['network', 'ls', '--format', '{{.Name}}']), /^nc1$/m);
    assert.equal(berth(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).IPRange}}', 'nc1']), `${prefix}128/25`);
    const ip = berth(['run', '--rm', '--network', 'nc1', '--ip', `${prefix}7`, '--mac-address', '02:42:aa:bb:cc:dd', 'busybox', 'ip', '-o', 'addr', 'show', 'eth0']);
    assert.match(ip, new RegExp(`inet ${prefix.replace(/\./g, '\\.')}7/24`));
    // The dynamic range starts at .128.
    assert.match(berth(['run', '--rm', '--network', 'nc1', 'busybox', 'ip', '-o', '-4', 'addr', 'show', 'eth0']), new RegExp(`inet ${prefix.replace(/\./g, '\\.')}128/24`));
    assert.match(berth(['run', '--rm', '--network', 'nc1', '--mac-address', '02:42:aa:bb:cc:dd', 'busybox', 'cat', '/sys/class/net/eth0/address']), /02:42:aa:bb:cc:dd/);
    const bad = daemon().berth(['run', '--rm', '--network', 'nc1', '--ip', '10.1.1.1', 'busybox', 'true']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /no configured subnet or ip-range contain the IP address 10\.1\.1\.1/);
    assert.equal(berth(['network', 'rm', 'nc1']), 'nc1');
    const gone = daemon().berth(['network', 'rm', 'nc1']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /Error response from daemon: network nc1 not found/);
  });
});

describe('published ports', () => {
  it('-p answers from the host on loopback and its own address; port shows it; a taken port is refused', async () => {
    const port = await freePort();
    ok(['run', '-d', '--name', 'pub', '-p', `${port}:80`, '-p', '127.0.0.1::80', 'busybox', ...HTTPD('hello-pub')]);
    assert.equal((await httpGet(port)).trim(), 'hello-pub');
    const hostIp = ok(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', 'bridge']);
    assert.equal((await httpGet(port, hostIp)).trim(), 'hello-pub');
    const shown = ok(['port', 'pub']);
    assert.match(shown, new RegExp(`^80/tcp -> 0\\.0\\.0\\.0:${port}$`, 'm'));
    const random = /^80\/tcp -> 127\.0\.0\.1:(\d+)$/m.exec(shown);
    assert.ok(random, shown);
    assert.equal((await httpGet(Number(random[1]))).trim(), 'hello-pub');
    const taken = docker(['run', '-d', '--name', 'pub2', '-p', `${port}:80`, 'busybox', 'sleep', '5']);
    assert.notEqual(taken.code, 0);
    assert.match(taken.stderr, new RegExp(`Bind for 0\\.0\\.0\\.0:${port} failed: port is already allocated`));
    ok(['rm', '-f', 'pub2']);
    ok(['rm', '-f', 'pub']);
    await assert.rejects(httpGet(port));
  });

  it('a host range on one port takes the first free one; all taken is refused in Docker words', async () => {
    const base = await freeRange(3);
    const range = `127.0.0.1:${base}-${base + 2}:80`;
    // The first port is bound by something else, the second is taken by the first container.
    const outsider = createServer();
    await new Promise<void>((r) => outsider.listen(base, '127.0.0.1', r));
    try {
      ok(['run', '-d', '--name', 'rng1', '-p', range, 'busybox', 'sleep', '300']);
      assert.equal(ok(['port', 'rng1', '80']), `127.0.0.1:${base + 1}`);
      ok(['run', '-d', '--name', 'rng2', '-p', range, 'busybox', ...HTTPD('hello-range')]);
      assert.equal(ok(['port', 'rng2']), `80/tcp -> 127.0.0.1:${base + 2}`);
      await waitForAsync(async () => (await httpGet(base + 2).catch(() => '')).trim() === 'hello-range', 'range port does not answer');
      const full = docker(['run', '-d', '--name', 'rng3', '-p', range, 'busybox', 'true']);
      assert.notEqual(full.code, 0);
      assert.match(full.stderr, /driver failed programming external connectivity on endpoint rng3 \([0-9a-f]{64}\): all ports are allocated/);
    } finally {
      outsider.close();
      docker(['rm', '-f', 'rng1', 'rng2', 'rng3']);
    }
  });

  it('hairpin: containers reach a published port through a host address, the publisher itself too', () => {
    const gw = ok(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', 'na']);
    const port = 20000 + Math.floor(Math.random() * 20000);
    ok(['run', '-d', '--name', 'hp', '--network', 'na', '-p', `${gw}:${port}:80`, 'busybox', ...HTTPD('hello-hairpin')]);
    try {
      const get = `printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${gw} ${port} | tail -n 1`;
      assert.equal(ok(['exec', 'hp', 'sh', '-c', `for i in 1 2 3 4 5; do ${get} && exit; sleep 0.2; done`]), 'hello-hairpin');
      assert.equal(ok(['run', '--rm', '--network', 'na', 'busybox', 'sh', '-c', get]), 'hello-hairpin');
    } finally {
      docker(['rm', '-f', 'hp']);
    }
  });

  it('the default bridge has no name resolution but --link works (hosts and env)', () => {
    ok(['run', '-d', '--name', 'lnk', '-e', 'SECRET=s1', '--expose', '80', 'busybox', ...HTTPD('hello-link')]);
    const out = ok(['run', '--rm', '--link', 'lnk:alias', 'busybox', 'sh', '-c', `${GET("$(awk '/\\talias /{print $1}' /etc/hosts)")}; echo $ALIAS_PORT_80_TCP_PORT $ALIAS_ENV_SECRET $ALIAS_NAME`]);
    assert.match(out, /hello-link/);
    assert.match(out, /80 s1 \/\S+\/alias/);
    assert.equal(docker(['run', '--rm', 'busybox', ...FETCH('lnk')]).code, 2);
    ok(['rm', '-f', 'lnk']);
  });

  it('--network host and container:other share stacks', () => {
    const hostLinks = ok(['run', '--rm', '--network', 'host', 'busybox', 'ip', '-o', 'link']);
    assert.match(hostLinks, /eth0|lo/);
    assert.match(hostLinks, new RegExp(daemon().net.bridge));
    const ip = ok(['inspect', '-f', '{{.NetworkSettings.Networks.na.IPAddress}}', 'web']);
    assert.match(ok(['run', '--rm', '--network', 'container:web', 'busybox', 'ip', '-o', 'addr']), new RegExp(ip.replace(/\./g, '\\.')));
  });

  it('the veth of a stopped container goes even while another container keeps its namespace', async () => {
    ok(['run', '-d', '--name', 'src', '--network', 'na', 'busybox', 'sleep', '300']);
    const ip = ok(['inspect', '-f', '{{.NetworkSettings.Networks.na.IPAddress}}', 'src']);
    const veth = vethOf(ok(['inspect', '-f', '{{.NetworkSettings.Networks.na.EndpointID}}', 'src']));
    ok(['run', '-d', '--name', 'keeper', '--network', 'container:src', 'busybox', 'sleep', '300']);
    ok(['kill', 'src']);
    await waitFor(() => !networkLeftovers(daemon().net).links.includes(veth), 'the stopped container kept its veth');
    assert.doesNotMatch(ok(['exec', 'keeper', 'ip', '-o', 'addr']), new RegExp(`${ip.replace(/\./g, '\\.')}/`));
    ok(['rm', '-f', 'keeper', 'src']);
  });
});

describe('outbound traffic, UDP, -P and network options', () => {
  /** A namespace of the test's own outside the daemon's networks, reached through a veth from the host. */
  function outsideNamespace(): { ns: string; hostAddress: string; address: string; remove: () => void } {
    const { tag, block } = daemon().net;
    const [a, b, c] = block.split('.').map(Number) as [number, number, number];
    // The last /30 of the daemon's /20: user networks here take /24s from its start.
    const base = `${a}.${b}.${c + 15}`;
    const ns = `bt${tag}out`;
    const hostEnd = `o${tag}h`;
    const remove = () => {
      spawnSync('ip', ['netns', 'del', ns]);
      spawnSync('ip', ['link', 'del', hostEnd]);
    };
    remove();
    const steps = [
      ['netns', 'add', ns],
      ['link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns],
      ['addr', 'add', `${base}.253/30`, 'dev', hostEnd],
      ['link', 'set', hostEnd, 'up'],
      ['-n', ns, 'addr', 'add', `${base}.254/30`, 'dev', 'eth0'],
      ['-n', ns, 'link', 'set', 'eth0', 'up'],
      ['-n', ns, 'link', 'set', 'lo', 'up'],
    ];
    for (const step of steps) {
      const r = spawnSync('ip', step, { encoding: 'utf8' });
      if (r.status !== 0) {
        remove();
        assert.fail(`ip ${step.join(' ')}: ${r.stderr}`);
      }
    }
    return { ns, hostAddress: `${base}.253`, address: `${base}.254`, remove };
  }

  /** Runs `code` (Node) in a network namespace; resolves with its stdout once it prints `ready`. */
  async function nodeIn(nsArgs: string[], code: string): Promise<{ output: () => string; exited: Promise<void>; kill: () => void }> {
    const child = spawn(nsArgs[0]!, [...nsArgs.slice(1), process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => ((out += d.toString()), out.includes('ready') && resolve()));
      child.on('exit', () => reject(new Error(`exited before ready: ${out}`)));
    });
    return { output: () => out, exited, kill: () => child.kill('SIGKILL') };
  }

  it('outbound traffic leaves masqueraded as the host; an --internal network gets nowhere', async () => {
    const out = outsideNamespace();
    try {
      // Who connects: the outside sees the host's address on its link, not the container's.
      const server = await nodeIn(['ip', 'netns', 'exec', out.ns], `const s=require('net').createServer((c)=>{console.log('from '+c.remoteAddress);c.on('close',()=>process.exit(0));c.end('pong')});s.listen(9000,'0.0.0.0',()=>console.log('ready'));setTimeout(()=>process.exit(0),15000)`);
      try {
        assert.equal(ok(['run', '--rm', '--network', 'na', 'busybox', 'sh', '-c', `nc -w 3 ${out.address} 9000 </dev/null`]), 'pong');
        await server.exited;
        assert.match(server.output(), new RegExp(`from ${out.hostAddress.replace(/\./g, '\\.')}\\n`));
      } finally {
        server.kill();
      }
      const internal = docker(['run', '--rm', '--network', 'ni', 'busybox', 'sh', '-c', `nc -w 2 ${out.address} 9000 </dev/null`]);
      assert.notEqual(internal.code, 0, 'a container of an --internal network got out');
    } finally {
      out.remove();
    }
  });

  it('-p with /udp carries datagrams both ways; -P publishes exposed ports on random host ports', async () => {
    const udpPort = await freePort();
    ok(['run', '-d', '--name', 'pubu', '-p', `127.0.0.1:${udpPort}:5353/udp`, '-P', '--expose', '80', 'busybox', ...HTTPD('hello-P')]);
    try {
      assert.equal(ok(['port', 'pubu', '5353/udp']), `127.0.0.1:${udpPort}`);
      const randomTcp = /^0\.0\.0\.0:(\d+)$/m.exec(ok(['port', 'pubu', '80']));
      assert.ok(randomTcp, 'no random host port for 80/tcp');
      assert.equal((await httpGet(Number(randomTcp[1]))).trim(), 'hello-P');
      // A UDP echo in the container's namespace (busybox has no UDP server): the host's datagram is DNAT'ed in,
      // and the answer comes back from the published address.
      const pid = ok(['inspect', '-f', '{{.State.Pid}}', 'pubu']);
      const echo = await nodeIn(['nsenter', `--net=/proc/${pid}/ns/net`], `const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>s.send(Buffer.concat([Buffer.from('echo:'),m]),r.port,r.address));s.bind(5353,()=>console.log('ready'));setTimeout(()=>process.exit(0),15000)`);
      try {
        const answer = await new Promise<string>((resolve, reject) => {
          const sock = createSocket('udp4');
          const timer = setTimeout(() => (sock.close(), reject(new Error('no UDP answer'))), 5000);
          sock.on('message', (m, r) => {
            clearTimeout(timer);
            sock.close();
            resolve(`${m.toString()} from ${r.address}:${r.port}`);
          });
          sock.send('ping', udpPort, '127.0.0.1');
        });
        assert.equal(answer, `echo:ping from 127.0.0.1:${udpPort}`);
      } finally {
        echo.kill();
      }
    } finally {
      ok(['rm', '-f', 'pubu']);
    }
  });

  it('a bridge of the user\'s name, --attachable, and --dns/--dns-search/--dns-option written as Docker writes them', () => {
    const bridge = `b${daemon().net.tag}-named`;
    ok(['network', 'create', '--attachable', '-o', `com.docker.network.bridge.name=${bridge}`, 'nnamed']);
    try {
      assert.ok(existsSync(`/sys/class/net/${bridge}`), 'the bridge does not have the given name');
      assert.equal(ok(['network', 'inspect', '-f', '{{.Attachable}} {{index .Options "com.docker.network.bridge.name"}}', 'nnamed']), `true ${bridge}`);
      const clash = docker(['network', 'create', '-o', `com.docker.network.bridge.name=${bridge}`, 'nclash']);
      assert.notEqual(clash.code, 0);
      const onDefault = ok(['run', '--rm', '--dns', '10.0.0.53', '--dns-search', 'corp.example', '--dns-option', 'rotate', 'busybox', 'cat', '/etc/resolv.conf']);
      assert.deepEqual(onDefault.split('\n').filter((l) => !l.startsWith('#')), ['nameserver 10.0.0.53', 'search corp.example', 'options rotate']);
      const onUser = ok(['run', '--rm', '--network', 'nnamed', '--dns', '10.0.0.53', '--dns-option', 'rotate', 'busybox', 'cat', '/etc/resolv.conf']);
      assert.deepEqual(onUser.split('\n').filter((l) => l.startsWith('nameserver') || l.startsWith('options')), ['nameserver 127.0.0.11', 'options rotate ndots:0']);
    } finally {
      ok(['network', 'rm', 'nnamed']);
    }
    assert.ok(!existsSync(`/sys/class/net/${bridge}`), 'the bridge stayed after network rm');
  });
});

describe('restart and cleanup', () => {
  it('after kill -9 of berthd, a dead container leaves no sandbox, veth, helper or rule; running ones keep theirs', async () => {
    const d = daemon();
    ok(['run', '-d', '--name', 'doomed', '--network', 'na', 'busybox', 'sleep', '300']);
    const pid = Number(ok(['inspect', '-f', '{{.State.Pid}}', 'doomed']));
    const veth = vethOf(ok(['inspect', '-f', '{{.NetworkSettings.Networks.na.EndpointID}}', 'doomed']));
    assert.ok(networkLeftovers(d.net).links.includes(veth), `no host veth ${veth} for the running container`);
    // The SandboxKey is a path to the container's namespace that works (as nsenter --net=<key> would use it).
    assert.equal(ok(['inspect', '-f', '{{.NetworkSettings.SandboxKey}}', 'doomed']), `/proc/${pid}/ns/net`);
    // The daemon's ready-made namespaces are held by helper processes (ip) that end with it.
    const helpers = childrenOf(d.pid);
    assert.ok(helpers.length > 0, 'no ready-made namespaces');
    await d.stopDaemon('SIGKILL');
    process.kill(pid, 'SIGKILL');
    await d.startDaemon();
    await waitFor(() => helpers.every((h) => !existsSync(`/proc/${h}`)), 'a namespace helper outlived the killed daemon');
    // The dead container's veth went with its namespace, its address is free again.
    await waitFor(() => !networkLeftovers(d.net).links.includes(veth), 'the dead container kept its veth');
    assert.equal(ok(['inspect', '-f', '{{.NetworkSettings.Networks.na.IPAddress}}', 'doomed']), '');
    assert.ok(!existsSync(join(d.execRoot, 'netns')) || readdirSync(join(d.execRoot, 'netns')).length === 0);
    // web still runs and still answers by name.
    assert.equal(ok(['run', '--rm', '--network', 'na', 'busybox', ...FETCH('web')]), 'hello-na');
    ok(['rm', '-f', 'doomed', 'web']);
    for (const n of ['na', 'nb', 'ni']) ok(['network', 'rm', n]);
    // Only the default bridge is left of this daemon's links (veths go with their namespaces, maybe a moment later).
    await waitFor(() => networkLeftovers(d.net).links.every((l) => l === d.net.bridge), 'veths left behind');
    assert.deepEqual(networkLeftovers(d.net).links, [d.net.bridge]);
    ok(['network', 'create', 'np']);
    assert.deepEqual(ok(['network', 'prune', '-f']).split('\n').slice(1), ['np']);
  });
});

describe('--bridge none', () => {
  it('has no default bridge: network ls shows host and none, containers get a loopback only', async () => {
    const d = await startTestDaemon({ extraArgs: ['--bridge', 'none'] });
    try {
      const run = (args: string[]) => {
        const r = d.docker(args, { timeoutMs: 30_000 });
        assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
        return r.stdout.trim();
      };
      assert.deepEqual(run(['network', 'ls', '--format', '{{.Name}}']).split('\n').sort(), ['host', 'none']);
      assert.doesNotMatch(run(['run', '--name', 'dflt', 'busybox', 'ip', '-o', 'link']), /eth0/);
      const nets = JSON.parse(run(['inspect', '-f', '{{json .NetworkSettings.Networks}}', 'dflt'])) as Record<string, { NetworkID: string; IPAddress: string }>;
      assert.deepEqual(Object.keys(nets), ['bridge']);
      assert.equal(nets['bridge']!.NetworkID, '');
      assert.equal(nets['bridge']!.IPAddress, '');
      assert.doesNotMatch(run(['run', '--rm', '--network', 'bridge', 'busybox', 'ip', '-o', 'link']), /eth0/);
      assert.deepEqual(networkLeftovers(d.net).links, [], 'a bridge was made');
    } finally {
      await d.stop();
    }
  });
});

/** `n` consecutive ports free on 127.0.0.1 (checked by binding them). */
async function freeRange(n: number): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 20000);
    const servers: ReturnType<typeof createServer>[] = [];
    try {
      for (let i = 0; i < n; i++) {
        const s = createServer();
        await new Promise<void>((resolve, reject) => {
          s.once('error', reject);
          s.listen(base + i, '127.0.0.1', resolve);
        });
        servers.push(s);
      }
      return base;
    } catch {
      // Taken: try elsewhere.
    } finally {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    }
  }
  throw new Error('no free port range');
}

async function waitForAsync(cond: () => Promise<boolean>, message: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.ok(await cond(), message);
}

/** The host end of an endpoint's veth: `v<tag>` + sha256(endpoint id), as the bridge driver names it. */
function vethOf(endpointId: string): string {
  assert.match(endpointId, /^[0-9a-f]{64}$/);
  return `v${daemon().net.tag}${createHash('sha256').update(endpointId).digest('hex').slice(0, 8)}`;
}

/** Pids whose parent is `ppid`. */
function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === ppid) out.push(Number(p));
    } catch {
      // Gone.
    }
  }
  return out;
}

async function waitFor(cond: () => boolean, message: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.ok(cond(), message);
}

