import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { it } from 'node:test';
import { useTestDaemon, DOCKER } from '../harness.js';
const daemon = useTestDaemon();
it('scratch', async () => {
  const dir = mkdtempSync('/tmp/bbench-');
  mkdirSync(join(dir, 'small'));
  for (let i = 0; i < 2000; i++) { mkdirSync(join(dir, 'small', `d${i % 40}`), { recursive: true }); writeFileSync(join(dir, 'small', `d${i % 40}`, `f${i}.txt`), Buffer.alloc(5000, i % 251)); }
  writeFileSync(join(dir, 'big.bin'), Buffer.alloc(10 * 1024 * 1024, 7));
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nCOPY small/ /app/small/\nCOPY big.bin /app/\nRUN true\n');
  const env = { ...daemon().env, DOCKER_BUILDKIT: '0' };
  const time = (cmd: string, args: string[]): void => {
    const t0 = Date.now(); const r = spawnSync(cmd, args, { env, encoding: 'utf8' }); process.stderr.write(`${args.slice(0, 3).join(' ')}: ${Date.now() - t0} ms ${r.status}\n`);
  };
  time(DOCKER, ['build', '-q', dir]);
  time(DOCKER, ['build', '-q', '--no-cache', dir]);
  const tarBuf = spawnSync('tar', ['-cf', '-', '-C', dir, '.'], { maxBuffer: 1 << 30 }).stdout;
  for (let i = 0; i < 3; i++) {
    const t0 = Date.now(); const r = await daemon().api('POST', '/build?q=1', tarBuf); process.stderr.write(`api warm: ${Date.now() - t0} ms ${r.status}\n`);
  }
});
