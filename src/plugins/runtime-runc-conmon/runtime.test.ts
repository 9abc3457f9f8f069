import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import type { Task, TaskIO } from '../../core/runtime.js';
import { readContainerLog } from '../../pkg/container-log.js';
import { unmount } from '../../pkg/mounter.js';
import { RuncConmonRuntime } from './index.js';
import { leftoverCgroups, makeRootfs, makeSpec, mountsUnder, randomId, removeCgroupParent } from './test-fixture.js';

/**
 * Real runc + conmon, no mocks. Needs root, runc and conmon; skips with the reason otherwise.
 *
 * One case runs in a child process (this same file, started with CHILD_ENV set): it creates and starts a
 * container and exits on its own, proving that nothing in the runtime keeps the daemon's process alive and that
 * the container outlives it.
 */
const CHILD_ENV = 'BERTH_RUNTIME_TEST_CHILD';

interface ChildJob {
  stateDir: string;
  id: string;
  rootfsDir: string;
  logPath: string;
  cgroupsPath: string;
}

const skip =
  process.getuid?.() !== 0
    ? 'needs root'
    : !existsSync('/usr/sbin/runc') || !existsSync('/usr/bin/conmon') || !existsSync('/bin/busybox')
      ? 'needs runc, conmon and busybox-static'
      : false;

const childJob = process.env[CHILD_ENV];
if (childJob) await childMain(JSON.parse(childJob) as ChildJob);
else registerTests();

async function childMain(job: ChildJob): Promise<void> {
  const runtime = new RuncConmonRuntime({ stateDir: job.stateDir });
  const task = await runtime.create({
    id: job.id,
    spec: makeSpec({ args: ['sleep', '100'], cgroupsPath: job.cgroupsPath }),
    rootfs: [{ type: 'bind', source: job.rootfsDir, options: ['rbind', 'ro'] }],
    logPath: job.logPath,
    name: 'survivor',
    tty: false,
    openStdin: false,
    stdinOnce: false,
  });
  await task.start();
  process.stdout.write(`${task.pid}\n`);
  // No process.exit(): the child must end because nothing is left to keep it alive.
}

function registerTests(): void {
  describe('RuncConmonRuntime', { skip }, () => {
    let stateDir: string; // short: the attach socket path must fit in 108 bytes
    let work: string;
    let rootfsDir: string;
    let runtime: RuncConmonRuntime;
    const cgParent = `/berth-test-${randomBytes(4).toString('hex')}`;
    const created = new Set<string>();

    before(async () => {
      stateDir = await mkdtemp('/tmp/brt-');
      work = await mkdtemp(join(tmpdir(), 'berth-runtime-work-'));
      rootfsDir = join(work, 'rootfs');
      await makeRootfs(rootfsDir);
      await mkdir(join(work, 'logs'));
      runtime = new RuncConmonRuntime({ stateDir });
    });

    after(async () => {
      // Whatever a failed case left behind: its task (kills and unmounts), then the directories.
      for (const id of created) await (await runtime.load(id).catch(() => undefined))?.delete().catch(() => undefined);
      for (const m of (await mountsUnder(stateDir)).reverse()) await unmount(m, { lazy: true }).catch(() => undefined);
      await removeCgroupParent(cgParent);
      await rm(stateDir, { recursive: true, force: true });
      await rm(work, { recursive: true, force: true });
    });

    const logPath = (id: string): string => join(work, 'logs', `${id}.log`);

    async function create(args: string[], opts: { tty?: boolean; openStdin?: boolean; stdinOnce?: boolean; memoryLimit?: number } = {}): Promise<Task> {
      const id = randomId();
      created.add(id);
      return runtime.create({
        id,
        spec: makeSpec({ args, cgroupsPath: `${cgParent}/${id}`, tty: opts.tty, memoryLimit: opts.memoryLimit }),
        rootfs: [{ type: 'bind', source: rootfsDir, options: ['rbind', 'ro'] }],
        logPath: logPath(id),
        name: `test-${id.slice(0, 8)}`,
        tty: opts.tty ?? false,
        openStdin: opts.openStdin ?? false,
        stdinOnce: opts.stdinOnce ?? false,
      });
    }

    async function drain(io: TaskIO): Promise<{ stdout: string; stderr: string }> {
      const out = { stdout: '', stderr: '' };
      for await (const c of io.output) out[c.stream] += c.data.toString();
      return out;
    }

    async function logText(id: string): Promise<string[]> {
      const out: string[] = [];
      for await (const e of readContainerLog(logPath(id))) out.push(`${e.stream}:${e.line.toString()}`);
      return out;
    }

    test('echo: output through attach (stdout and stderr apart) and in the log, exit code 0', async () => {
      const task = await create(['sh', '-c', 'echo hello; echo oops >&2']);
      try {
        assert.ok(task.pid > 0);
        assert.equal(await task.status(), 'created');
        assert.ok((await runtime.list()).includes(task.id));
        const io = await task.attach();
        const output = drain(io);
        await task.start();
        assert.deepEqual(await output, { stdout: 'hello\n', stderr: 'oops\n' });
        const exit = await task.wait();
        assert.equal(exit.exitCode, 0);
        assert.equal(exit.oomKilled, false);
        assert.ok(Math.abs(exit.exitedAt.getTime() - Date.now()) < 10_000);
        assert.equal(await task.status(), 'stopped');
        assert.deepEqual(await logText(task.id), ['stdout:hello\n', 'stderr:oops\n']);
      } finally {
        await task.delete();
      }
      assert.ok(!(await runtime.list()).includes(task.id));
      // Idempotent.
      await task.delete();
    });

    test('exit code 3 from sh -c "exit 3"', async () => {
      const task = await create(['sh', '-c', 'exit 3']);
      try {
        await task.start();
        assert.equal((await task.wait()).exitCode, 3);
      } finally {
        await task.delete();
      }
    });

    test('a missing executable fails create with runc\'s words, as Docker words it, and leaves nothing', async () => {
      const id = randomId();
      created.add(id);
      await assert.rejects(
        runtime.create({
          id,
          spec: makeSpec({ args: ['/no/such/program'], cgroupsPath: `${cgParent}/${id}` }),
          rootfs: [{ type: 'bind', source: rootfsDir, options: ['rbind', 'ro'] }],
          logPath: logPath(id),
          name: 'missing',
          tty: false,
          openStdin: false,
          stdinOnce: false,
        }),
        (err: Error) => {
          assert.equal(err.name, 'InvalidArgumentError');
          assert.match(err.message, /^OCI runtime create failed: .*no such file or directory/);
          return true;
        },
      );
      const task = await create(['no-such-program']).catch((err: Error) => err);
      assert.ok(task instanceof Error);
      assert.match(task.message, /^OCI runtime create failed: runc create failed: .*exec: "no-such-program": executable file not found in \$PATH$/);
      assert.deepEqual(await runtime.list(), []);
      assert.deepEqual(await mountsUnder(stateDir), []);
      assert.equal(await runtime.load(id), undefined);
    });

    test('SIGTERM is ignored by a PID 1 without a handler; SIGKILL ends it with 137', async () => {
      const task = await create(['sleep', '100']);
      try {
        await task.start();
        assert.equal(await task.status(), 'running');
        await task.kill('SIGTERM');
        const early = await Promise.race([task.wait(), new Promise((r) => setTimeout(() => r('still running'), 500))]);
        assert.equal(early, 'still running');
        await task.kill(9);
        assert.equal((await task.wait()).exitCode, 137);
        // After the exit no signal goes anywhere (the pid may already be someone else's).
        await assert.rejects(task.kill('SIGKILL'), { name: 'FailedPreconditionError' });
      } finally {
        await task.delete();
      }
    });

    test('output is streamed while the process runs', async () => {
      const task = await create(['sh', '-c', 'echo a; sleep 1; echo b']);
      try {
        const io = await task.attach();
        let exited = false;
        void task.wait().then(() => (exited = true));
        await task.start();
        const chunks: string[] = [];
        let exitedAtFirst: boolean | undefined;
        for await (const c of io.output) {
          exitedAtFirst ??= exited;
          chunks.push(c.data.toString());
        }
        assert.equal(exitedAtFirst, false);
        assert.equal(chunks.join(''), 'a\nb\n');
        assert.equal(chunks[0], 'a\n');
      } finally {
        await task.delete();
      }
    });

    test('several attached clients each get all output', async () => {
      const task = await create(['sh', '-c', 'echo one; echo two >&2']);
      try {
        const ios = await Promise.all([task.attach(), task.attach(), task.attach()]);
        const outputs = Promise.all(ios.map(drain));
        await task.start();
        for (const o of await outputs) assert.deepEqual(o, { stdout: 'one\n', stderr: 'two\n' });
      } finally {
        await task.delete();
      }
    });

    test('stdin reaches the process, in packets conmon can read, and closing it ends cat', async () => {
      const task = await create(['sh', '-c', 'cat; echo done'], { openStdin: true, stdinOnce: true });
      try {
        const io = await task.attach({ stdin: true });
        const output = drain(io);
        await task.start();
        // 100 KiB: more than conmon reads per packet, so the chunking is what keeps it whole.
        const input = Buffer.alloc(100 * 1024, 'x');
        await io.write(input);
        await io.write(Buffer.from('\nend\n'));
        await io.closeStdin();
        const { stdout } = await output;
        assert.equal(stdout, `${input.toString()}\nend\ndone\n`);
        assert.equal((await task.wait()).exitCode, 0);
      } finally {
        await task.delete();
      }
    });

    test('close() ends an attached client\'s output without waiting for the process', async () => {
      const task = await create(['sleep', '100']);
      try {
        const io = await task.attach();
        await task.start();
        const output = drain(io);
        io.close();
        assert.deepEqual(await output, { stdout: '', stderr: '' });
      } finally {
        await task.delete();
      }
      assert.deepEqual(await mountsUnder(stateDir), []);
    });

    // A TTY turns "\n" into "\r\n"; the k8s-file log keeps the "\r" in the line, and its newline is the file's
    // own, so the log reader gives back the exact bytes for TTY logs too.
    test('a TTY container\'s output has CRLF, through attach and from the log', async () => {
      const task = await create(['sh', '-c', 'echo hello; echo world'], { tty: true });
      try {
        const io = await task.attach();
        const output = drain(io);
        await task.start();
        assert.deepEqual(await output, { stdout: 'hello\r\nworld\r\n', stderr: '' });
        assert.equal((await task.wait()).exitCode, 0);
        assert.deepEqual(await logText(task.id), ['stdout:hello\r\n', 'stdout:world\r\n']);
      } finally {
        await task.delete();
      }
    });

    test('load finds an exited task and wait answers at once', async () => {
      const task = await create(['sh', '-c', 'exit 7']);
      try {
        await task.start();
        await task.wait();
        const again = await runtime.load(task.id);
        assert.ok(again);
        assert.equal(again.pid, task.pid);
        assert.equal(await again.status(), 'stopped');
        assert.equal((await again.wait()).exitCode, 7);
      } finally {
        await task.delete();
      }
      assert.equal(await runtime.load(task.id), undefined);
    });

    test('delete kills a running task and removes everything', async () => {
      const task = await create(['sleep', '100']);
      await task.start();
      await task.delete();
      assert.equal((await task.wait()).exitCode, 137);
      assert.equal(await runtime.load(task.id), undefined);
      assert.deepEqual(await mountsUnder(stateDir), []);
    });

    test('a task created by a process that has exited keeps running and can be loaded, killed and waited for', async () => {
      const id = randomId();
      created.add(id);
      const job: ChildJob = { stateDir, id, rootfsDir, logPath: logPath(id), cgroupsPath: `${cgParent}/${id}` };
      const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], {
        env: { ...process.env, [CHILD_ENV]: JSON.stringify(job) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | string>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL'); // our own child, hung: that is the failure this case looks for
          resolve('did not exit by itself');
        }, 20_000);
        child.on('exit', (c) => {
          clearTimeout(timer);
          resolve(c ?? -1);
        });
      });
      assert.equal(code, 0);
      const task = await runtime.load(id);
      assert.ok(task);
      try {
        assert.equal(String(task.pid), out.trim());
        assert.equal(await task.status(), 'running');
        await task.kill('SIGKILL');
        assert.equal((await task.wait()).exitCode, 137);
      } finally {
        await task.delete();
      }
    });

    test('an OOM kill is reported', async () => {
      // busybox tail keeps the current line in memory, and /dev/zero has no newline.
      const task = await create(['tail', '/dev/zero'], { memoryLimit: 16 * 1024 * 1024 });
      try {
        await task.start();
        const exit = await task.wait();
        assert.equal(exit.exitCode, 137);
        assert.equal(exit.oomKilled, true);
      } finally {
        await task.delete();
      }
    });

    test('an aborted create leaves nothing behind, wherever it was stopped', async () => {
      for (const afterMs of [0, 5, 15, 30]) {
        const id = randomId();
        created.add(id);
        const ac = new AbortController();
        setTimeout(() => ac.abort(), afterMs);
        const res = await runtime
          .create({
            id,
            spec: makeSpec({ args: ['sleep', '100'], cgroupsPath: `${cgParent}/${id}` }),
            rootfs: [{ type: 'bind', source: rootfsDir, options: ['rbind', 'ro'] }],
            logPath: logPath(id),
            name: 'aborted',
            tty: false,
            openStdin: false,
            stdinOnce: false,
            signal: ac.signal,
          })
          .catch((err: Error) => err);
        // Too late to abort: the task exists, and is ours to delete.
        if (!(res instanceof Error)) await res.delete();
        else assert.equal(res.name, 'AbortError');
        assert.deepEqual(await runtime.list(), []);
        assert.deepEqual(await mountsUnder(stateDir), []);
      }
    });

    test('a state directory too long for the attach socket is refused at construction, with the path named', () => {
      // Refused when the runtime is made (daemon start), not at the first container start.
      assert.throws(
        () => new RuncConmonRuntime({ stateDir: join('/tmp', 'x'.repeat(60)) }),
        (err: Error) => err.name === 'InvalidArgumentError' && err.message.includes(join('/tmp', 'x'.repeat(60), 'containers')),
      );
      assert.equal(existsSync(join('/tmp', 'x'.repeat(60))), false);
    });

    test('create → start → exit latency for `true`', async (t) => {
      const times: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        const task = await create(['true']);
        try {
          await task.start();
          await task.wait();
          times.push(performance.now() - t0);
        } finally {
          await task.delete();
        }
      }
      times.sort((a, b) => a - b);
      const p50 = times[Math.floor(times.length / 2)]!;
      t.diagnostic(`create→start→exit for true: p50 ${p50.toFixed(1)} ms, min ${times[0]!.toFixed(1)} ms, max ${times.at(-1)!.toFixed(1)} ms`);
      assert.ok(p50 < 1000);
    });

    test('nothing is left behind: no bundles, mounts, cgroups or monitors', async () => {
      assert.deepEqual(await runtime.list(), []);
      assert.deepEqual(await mountsUnder(stateDir), []);
      assert.deepEqual(await readdir(join(stateDir, 'exits')), []);
      assert.deepEqual(await leftoverCgroups(cgParent), []);
      const monitors: string[] = [];
      for (const p of await readdir('/proc')) {
        if (!/^\d+$/.test(p)) continue;
        const cmd = await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '');
        if (cmd.includes(stateDir)) monitors.push(cmd.replaceAll('\0', ' '));
      }
      assert.deepEqual(monitors, []);
    });
  });
}
