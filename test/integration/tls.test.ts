// berthd on TCP with mutual TLS (dockerd's --tlsverify): the docker CLI with a client certificate gets in,
// one without is refused during the handshake.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DOCKER, startTestDaemon, type TestDaemon } from '../harness.js';

let dir: string;
let port: number;
let d: TestDaemon;

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

before(async () => {
  dir = mkdtempSync('/tmp/bt-tls-');
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=berth test CA']);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${who}-key.pem`, '-out', `${who}.csr`, '-subj', `/CN=${who}`]);
    openssl(['x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', `${who}-cert.pem`, '-days', '2', '-extfile', `${who}.ext`]);
  }
  port = await freePort();
  d = await startTestDaemon({
    loadBusybox: false,
    extraArgs: ['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', join(dir, 'ca.pem'), '--tlscert', join(dir, 'server-cert.pem'), '--tlskey', join(dir, 'server-key.pem')],
  });
});
after(async () => {
  await d?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('TCP with mutual TLS', () => {
  const docker = (args: string[]) =>
    spawnSync(DOCKER, ['-H', `tcp://127.0.0.1:${port}`, ...args], { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: '', DOCKER_CONFIG: join(dir, 'cfg') }, timeout: 30_000 });

  it('serves a client that presents a certificate signed by the CA', () => {
    const r = docker(['--tlsverify', '--tlscacert', join(dir, 'ca.pem'), '--tlscert', join(dir, 'client-cert.pem'), '--tlskey', join(dir, 'client-key.pem'), 'version', '--format', '{{.Server.APIVersion}}']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '1.43');
  });

  it('refuses a client without a certificate', () => {
    const r = docker(['--tlsverify', '--tlscacert', join(dir, 'ca.pem'), 'version', '--format', '{{.Server.APIVersion}}']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /certificate|tls/i);
  });

  it('still serves the unix socket beside the TCP listener', () => {
    assert.equal(d.docker(['version', '--format', '{{.Server.APIVersion}}']).stdout.trim(), '1.43');
  });
});
