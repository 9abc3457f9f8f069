import { spawnSync } from 'node:child_process';
import { BUSYBOX_TAR, DOCKER, ensureBusyboxImage, startTestDaemon } from '../test/harness.js';
import { startPrivateDockerd } from '../test/private-dockerd.js';
const ok = (env: NodeJS.ProcessEnv, a: string[]) => { const r = spawnSync(DOCKER, a, { env, encoding: 'utf8', maxBuffer: 1e9 }); if (r.status !== 0) throw new Error(r.stderr); return r.stdout; };
const time = (env: NodeJS.ProcessEnv, a: string[]) => { const t = performance.now(); ok(env, a); return performance.now() - t; };
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
ensureBusyboxImage();
const b = await startTestDaemon();
const d = await startPrivateDockerd();
d.docker(['load', '-i', BUSYBOX_TAR]);
try {
  for (const [name, env] of [['berth', b.env], ['dockerd', d.env]] as const) {
    ok(env, ['run', '-d', '--name', 'bl', '--network', 'none', 'busybox', 'seq', '1', '100000']);
    ok(env, ['wait', 'bl']);
    const logs = Array.from({ length: 8 }, () => time(env, ['logs', 'bl']));
    ok(env, ['run', '-d', '--name', 'be', '--network', 'none', 'busybox', 'sleep', '600']);
    const exec = Array.from({ length: 15 }, () => time(env, ['exec', 'be', 'true']));
    const t = performance.now();
    for (let i = 0; i < 30; i++) ok(env, ['run', '-d', '--network', 'none', 'busybox', 'sleep', '600']);
    const start30 = performance.now() - t;
    console.log(name, 'logs p50', p50(logs).toFixed(1), 'exec p50', p50(exec).toFixed(1), '30 starts', start30.toFixed(0));
    const ids = ok(env, ['ps', '-aq']).split('\n').filter(Boolean); ok(env, ['rm', '-f', ...ids]);
  }
} finally { await d.stop(); await b.stop(); }
