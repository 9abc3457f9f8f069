/**
 * Networking figures: `run --rm --network <user net> busybox true` p50 against the same start with
 * `--network none` (the target: ≤ 15 ms more), and loopback throughput through a published port
 * against a direct connection to the container's address (target: ≥ 0.8×). Runs on a private berthd (the
 * harness's, with its own bridge, subnet and chains, removed at the end).
 * Run: node scripts/build.mjs && node scripts/run-ts.mjs bench/network.bench.ts
 */
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { DOCKER, startTestDaemon } from '../test/harness.js';

const RUNS = Number(process.env['BERTH_BENCH_RUNS'] ?? 15);
const MB = 256;

function timeCmd(args: string[], env: NodeJS.ProcessEnv): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(DOCKER, args, { env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${r.stderr}`);
  return ms;
}

function p50(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

/** Downloads /big over HTTP and returns MB/s. */
function fetchMBps(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    let bytes = 0;
    const req = request({ host, port, path: '/big', agent: false }, (res) => {
      res.on('data', (d: Buffer) => (bytes += d.length));
      res.on('end', () => {
        const s = Number(process.hrtime.bigint() - t) / 1e9;
        if (bytes < MB * 1024 * 1024) reject(new Error(`short read: ${bytes} bytes`));
        else resolve(bytes / 1024 / 1024 / s);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function best(n: number, f: () => Promise<number>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) xs.push(await f());
  return p50(xs);
}

async function main(): Promise<void> {
  const d = await startTestDaemon();
  try {
    const env = d.env;
    timeCmd(['network', 'create', 'benchnet'], env);
    const interleaved = { net: [] as number[], none: [] as number[] };
    timeCmd(['run', '--rm', '--network', 'benchnet', 'busybox', 'true'], env);
    timeCmd(['run', '--rm', '--network', 'none', 'busybox', 'true'], env);
    for (let i = 0; i < RUNS; i++) {
      interleaved.net.push(timeCmd(['run', '--rm', '--network', 'benchnet', 'busybox', 'true'], env));
      interleaved.none.push(timeCmd(['run', '--rm', '--network', 'none', 'busybox', 'true'], env));
    }
    const netP50 = p50(interleaved.net);
    const noneP50 = p50(interleaved.none);
    const pairedP50 = p50(interleaved.net.map((x, i) => x - interleaved.none[i]!));

    // The start alone through the API (no CLI process, no create, no wait): where the network's set-up is.
    const apiStart = { net: [] as number[], none: [] as number[] };
    const startOnce = async (mode: string): Promise<number> => {
      const c = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: mode, AutoRemove: true } });
      if (c.status !== 201) throw new Error(`create failed: ${c.body}`);
      const id = (JSON.parse(c.body) as { Id: string }).Id;
      const t = process.hrtime.bigint();
      const s = await d.api('POST', `/containers/${id}/start`);
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      if (s.status !== 204) throw new Error(`start failed: ${s.body}`);
      await d.api('POST', `/containers/${id}/wait?condition=removed`);
      return ms;
    };
    for (let i = 0; i < RUNS; i++) {
      apiStart.net.push(await startOnce('benchnet'));
      apiStart.none.push(await startOnce('none'));
    }

    const hostPort = 20000 + Math.floor(Math.random() * 20000);
    timeCmd(
      ['run', '-d', '--name', 'bench-srv', '--network', 'benchnet', '-p', `127.0.0.1:${hostPort}:80`, 'busybox', 'sh', '-c', `mkdir -p /www && dd if=/dev/zero of=/www/big bs=1M count=${MB} 2>/dev/null && exec httpd -f -p 80 -h /www`],
      env,
    );
    const ip = spawnSync(DOCKER, ['inspect', '-f', '{{.NetworkSettings.Networks.benchnet.IPAddress}}', 'bench-srv'], { env, encoding: 'utf8' }).stdout.trim();
    // Wait for httpd (the file is written first).
    for (let i = 0; i < 100; i++) {
      const ok = await fetchMBps(ip, 80).then(
        () => true,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const direct = await best(5, () => fetchMBps(ip, 80));
    const published = await best(5, () => fetchMBps('127.0.0.1', hostPort));
    timeCmd(['rm', '-f', 'bench-srv'], env);
    timeCmd(['network', 'rm', 'benchnet'], env);

    const rows: [string, string, string][] = [
      ['run --rm --network benchnet busybox true, p50', `${netP50.toFixed(1)} ms`, ''],
      ['run --rm --network none busybox true, p50', `${noneP50.toFixed(1)} ms`, ''],
      ['network-attached start overhead', `${(netP50 - noneP50).toFixed(1)} ms`, 'target ≤ 15 ms'],
      ['  median of the paired differences', `${pairedP50.toFixed(1)} ms`, ''],
      ['API start (POST /start), --network benchnet, p50', `${p50(apiStart.net).toFixed(1)} ms`, ''],
      ['API start (POST /start), --network none, p50', `${p50(apiStart.none).toFixed(1)} ms`, ''],
      ['API start overhead', `${(p50(apiStart.net) - p50(apiStart.none)).toFixed(1)} ms`, ''],
      [`HTTP GET ${MB} MiB, direct to ${ip}:80`, `${direct.toFixed(0)} MB/s`, ''],
      [`HTTP GET ${MB} MiB, published 127.0.0.1:${hostPort}`, `${published.toFixed(0)} MB/s`, ''],
      ['published / direct', `${(published / direct).toFixed(2)}×`, 'target ≥ 0.8×'],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    process.stdout.write(`\nberth networking (${RUNS} interleaved runs each)\n`);
    for (const [k, v, t] of rows) process.stdout.write(`  ${k.padEnd(w)}  ${v.padStart(10)}  ${t}\n`);
  } finally {
    await d.stop();
  }
}

await main();
