import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { rootCertificates } from 'node:tls';
import { certsDirAgent } from './certs-dir.js';

describe('registry certs directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-certs-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const host = (name: string, files: Record<string, string>): void => {
    mkdirSync(join(dir, name));
    for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, name, f), text);
  };

  it('trusts every *.crt on top of the system roots', async () => {
    host('reg.local:5000', { 'ca.crt': 'PEM-A', 'other.crt': 'PEM-B', 'README': 'ignored' });
    const agent = await certsDirAgent(dir, 'reg.local:5000');
    assert.ok(agent);
    assert.deepEqual(agent.options.ca, [...rootCertificates, 'PEM-A', 'PEM-B']);
    agent.destroy();
  });

  it('gives no agent for a host without a directory, an empty one, or a name that is not a host', async () => {
    host('empty:1', {});
    assert.equal(await certsDirAgent(dir, 'nowhere:5000'), undefined);
    assert.equal(await certsDirAgent(dir, 'empty:1'), undefined);
    assert.equal(await certsDirAgent(dir, '..'), undefined);
    assert.equal(await certsDirAgent(dir, 'a/../..'), undefined);
  });

  it('refuses a client key without its certificate and a certificate without its key, in dockerd\'s words', async () => {
    host('keyonly:1', { 'client.key': 'K' });
    await assert.rejects(certsDirAgent(dir, 'keyonly:1'), /missing client certificate client\.cert for key client\.key/);
    host('certonly:1', { 'client.cert': 'C' });
    await assert.rejects(certsDirAgent(dir, 'certonly:1'), /missing key client\.key for client certificate client\.cert\. CA certificates must use the extension \.crt/);
  });

  it('takes a client certificate with its key', async () => {
    host('client:1', { 'client.cert': 'CERT', 'client.key': 'KEY' });
    const agent = await certsDirAgent(dir, 'client:1');
    assert.equal(String(agent?.options.cert), 'CERT');
    assert.equal(String(agent?.options.key), 'KEY');
    agent?.destroy();
  });
});
