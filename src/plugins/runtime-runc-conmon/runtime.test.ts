import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import type { ExecOptions, Task, TaskIO } from '../../core/runtime.js';
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
  // A detached exec too: its monitor's sync pipe must not keep this process alive either.
  const exec = await task.exec({
    execId: randomId(),
    process: makeSpec({ args: ['sleep', '100'], cgroupsPath: '' }).process,
    tty: false,
    openStdin: false,
    attach: false,
  });
  process.stdout.write(`${task.pid}\n${exec.pid}\n`);
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

    async function create(
      args: string[],
      opts: { tty?: boolean; openStdin?: boolean; stdinOnce?: boolean; memoryLimit?: number; logSizeMax?: number } = {},
    ): Promise<Task> {
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
        ...(opts.logSizeMax !== undefined ? { logSizeMax: opts.logSizeMax } : {}),
      });
    }

    /** The OCI process of an exec, like the one Docker builds from the container's. */
    function execOpts(args: string[], opts: { tty?: boolean; openStdin?: boolean; attach?: boolean } = {}): ExecOptions {
      const tty = opts.tty ?? false;
      return {
        execId: randomId(),
        process: makeSpec({ args, cgroupsPath: '', tty }).process,
        tty,
        openStdin: opts.openStdin ?? false,
        attach: opts.attach ?? true,
      };
    }

    /** Counts the lines a task prints, read through attach in the background. */
    function countLines(io: TaskIO): { lines: () => number; done: Promise<void> } {
      let n = 0;
      const done = (async () => {
        for await (const c of io.output) n += c.data.toString().split('\n').length - 1;
      })();
      return { lines: () => n, done };
    }

    async function drain(io: TaskIO): Promise<{ stdout: string; stderr: string }> {
      const out = { stdout: '', stderr: '' };
      for await (const c of io.output) out[c.stream] += c.data.toString();
      return out;
    }

    /** Reads a client's stdout in the background; `until(text)` waits for exactly that much of it. */
    function collect(io: TaskIO): { until(text: string): Promise<void> } {
      let stdout = '';
      let wake: (() => void) | undefined;
      void (async () => {
        for await (const c of io.output) {
          if (c.stream === 'stdout') stdout += c.data.toString();
          wake?.();
        }
      })();
      return {
        async until(text) {
          const deadline = Date.now() + 10_000;
          while (stdout !== text) {
            assert.ok(text.startsWith(stdout) && Date.now() < deadline, `stdout ${JSON.stringify(stdout)}, waiting for ${JSON.stringify(text)}`);
            await new Promise<void>((r) => {
              wake = r;
              setTimeout(r, 100);
            });
          }
        },
      };
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

    // conmon accepts one waiting connection per turn of its loop. Held stopped from before the clients connect
    // until the container has exited (as a busy machine may hold it before its loop first turns), its next turn
    // finds every waiting client, the exit and the output at once: it accepts one, sees the exit, and drains the
    // output to the clients it has accepted by then. Seen in CI with a connection per client.
    test('several clients attached before the start each get all output when conmon runs only after the exit', async () => {
      const task = await create(['sh', '-c', 'echo one; echo two >&2']);
      const conmonPid = Number(await readFile(join(stateDir, 'containers', task.id, 'conmon.pid'), 'utf8'));
      process.kill(conmonPid, 'SIGSTOP');
      try {
        let outputs: Promise<Array<{ stdout: string; stderr: string }>>;
        try {
          const ios = await Promise.all([task.attach(), task.attach(), task.attach()]);
          outputs = Promise.all(ios.map(drain));
          await task.start();
          // The exited process stays a zombie of the stopped conmon: wait until it is one.
          for (let i = 0; i < 200 && !/^State:\s+Z/m.test(await readFile(`/proc/${task.pid}/status`, 'utf8').catch(() => 'State: Z')); i++) {
            await new Promise((r) => setTimeout(r, 10));
          }
        } finally {
          process.kill(conmonPid, 'SIGCONT');
        }
        for (const o of await outputs) assert.deepEqual(o, { stdout: 'one\n', stderr: 'two\n' });
      } finally {
        await task.delete();
      }
    });

    // The clients share one connection to conmon for output; each one's input is its own.
    test('a client leaving ends neither the others\' output nor their input; a later client types too', async () => {
      const task = await create(['cat'], { openStdin: true, stdinOnce: false });
      try {
        const first = await task.attach();
        const second = await task.attach();
        const firstOut = drain(first);
        const secondOut = collect(second);
        await task.start();
        await first.write(Buffer.from('from the first\n'));
        await secondOut.until('from the first\n');
        first.close();
        await firstOut; // its output ends at once, while the others' goes on
        await second.write(Buffer.from('from the second\n'));
        await secondOut.until('from the first\nfrom the second\n');
        const third = await task.attach();
        const thirdOut = collect(third);
        await third.write(Buffer.from('from the third\n'));
        await thirdOut.until('from the third\n');
        await secondOut.until('from the first\nfrom the second\nfrom the third\n');
        // Not StdinOnce: a client's end of input leaves the container's stdin open for the others.
        await third.closeStdin();
        await second.write(Buffer.from('still open\n'));
        await thirdOut.until('from the third\nstill open\n');
        await task.kill('SIGKILL');
        await task.wait();
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

    test('a task and exec created by a process that has exited keep running; the task can be loaded, killed and waited for', async () => {
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
        const [pid, execPid] = out.trim().split('\n');
        assert.equal(String(task.pid), pid);
        assert.equal(await task.status(), 'running');
        assert.ok((await task.pids()).map(String).includes(execPid ?? ''));
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

    test('pause freezes every process and resume lets them go on; Docker\'s words for the wrong state', async () => {
      const task = await create(['sh', '-c', 'while true; do echo tick; sleep 0.02; done']);
      try {
        await assert.rejects(task.pause(), { name: 'FailedPreconditionError', message: `Container ${task.id} is not running` });
        const io = await task.attach();
        const counter = countLines(io);
        await task.start();
        await waitFor(() => counter.lines() >= 3);
        await task.pause();
        assert.equal(await task.status(), 'paused');
        await assert.rejects(task.pause(), { name: 'FailedPreconditionError', message: `Container ${task.id} is already paused` });
        await assert.rejects(task.exec(execOpts(['true'])), {
          name: 'FailedPreconditionError',
          message: `Container ${task.id} is paused, unpause the container before exec`,
        });
        // What was printed before the freeze may still be on its way through conmon.
        await sleep(200);
        const frozenAt = counter.lines();
        await sleep(500);
        assert.equal(counter.lines(), frozenAt);
        await task.resume();
        assert.equal(await task.status(), 'running');
        await waitFor(() => counter.lines() > frozenAt + 2);
        await assert.rejects(task.resume(), { name: 'FailedPreconditionError', message: `Container ${task.id} is not paused` });
      } finally {
        await task.delete();
      }
    });

    test('delete removes a paused container at once', async () => {
      const task = await create(['sleep', '100']);
      try {
        await task.start();
        await task.pause();
        const t0 = Date.now();
        await task.delete();
        assert.ok(Date.now() - t0 < 5000, `delete took ${Date.now() - t0} ms`);
        assert.equal((await task.wait()).exitCode, 137);
      } finally {
        await task.delete();
      }
      assert.equal(await runtime.load(task.id), undefined);
    });

    test('resize sets a TTY container\'s terminal size, and is a no-op without a TTY', async () => {
      const task = await create(['sh', '-c', 'read x; stty size'], { tty: true, openStdin: true });
      try {
        const io = await task.attach({ stdin: true });
        const output = drain(io);
        await task.start();
        await task.resize({ height: 33, width: 111 });
        await io.write(Buffer.from('go\n'));
        const { stdout } = await output;
        assert.match(stdout, /33 111\r\n$/);
        assert.equal((await task.wait()).exitCode, 0);
        // conmon has gone: nobody reads the FIFO, and that is no error.
        await task.resize({ height: 10, width: 10 });
        await assert.rejects(task.resize({ height: -1, width: 10 }), { name: 'InvalidArgumentError' });
      } finally {
        await task.delete();
      }
      const plain = await create(['sleep', '100']);
      try {
        await plain.start();
        await plain.resize({ height: 20, width: 80 });
      } finally {
        await plain.delete();
      }
    });

    test('stdin written through attach reaches cat in a TTY container', async () => {
      const task = await create(['cat'], { tty: true, openStdin: true });
      try {
        const io = await task.attach({ stdin: true });
        let out = '';
        const reading = (async () => {
          for await (const c of io.output) {
            assert.equal(c.stream, 'stdout');
            out += c.data.toString();
          }
        })();
        await task.start();
        await io.write(Buffer.from('hello\n'));
        // The terminal echoes the line, then cat prints it.
        await waitFor(() => out === 'hello\r\nhello\r\n');
        await task.kill('SIGKILL');
        await reading;
        assert.equal((await task.wait()).exitCode, 137);
      } finally {
        await task.delete();
      }
    });

    test('update changes the memory limit of a running container', async () => {
      const task = await create(['sleep', '100']);
      try {
        await task.start();
        await task.update({ memory: { limit: 64 * 1024 * 1024 } });
        assert.equal(await memoryLimit(`${cgParent}/${task.id}`), 64 * 1024 * 1024);
        await assert.rejects(task.update({ memory: { limit: 'lots' } }), (err: Error) => {
          assert.equal(err.name, 'InvalidArgumentError');
          assert.match(err.message, /^OCI runtime update failed: .*cannot unmarshal/);
          return true;
        });
        await task.kill('SIGKILL');
        await task.wait();
        await assert.rejects(task.update({ memory: { limit: 32 * 1024 * 1024 } }), { name: 'FailedPreconditionError' });
      } finally {
        await task.delete();
      }
    });

    test('pids lists every process of the container', async () => {
      const task = await create(['sh', '-c', 'sleep 100 & sleep 100 & wait']);
      try {
        await task.start();
        await waitFor(async () => (await task.pids()).length === 3);
        const pids = await task.pids();
        assert.ok(pids.includes(task.pid));
        for (const p of pids) assert.ok(Number.isInteger(p) && p > 0);
        await task.kill('SIGKILL');
        await task.wait();
        await assert.rejects(task.pids(), { name: 'FailedPreconditionError', message: `Container ${task.id} is not running` });
      } finally {
        await task.delete();
      }
    });

    test('exec: stdout and stderr apart, exit code, and its state goes with delete', async () => {
      const task = await create(['sleep', '100']);
      try {
        await task.start();
        const exec = await task.exec(execOpts(['sh', '-c', 'echo out; echo err >&2; exit 3']));
        assert.ok(exec.pid > 0 && exec.pid !== task.pid);
        assert.ok(exec.io);
        assert.deepEqual(await drain(exec.io), { stdout: 'out\n', stderr: 'err\n' });
        const exit = await exec.wait();
        assert.equal(exit.exitCode, 3);
        assert.equal(exit.oomKilled, false);
        await assert.rejects(exec.kill('SIGTERM'), { name: 'FailedPreconditionError' });
        const execsDir = join(stateDir, 'containers', task.id, 'execs');
        assert.equal((await readdir(execsDir)).length, 1);
        await exec.delete();
        assert.deepEqual(await readdir(execsDir), []);
        assert.equal((await exec.wait()).exitCode, 3);
        // Docker keeps an exec's output out of the container's log.
        assert.deepEqual(await logText(task.id), []);
        assert.equal(await task.status(), 'running');
      } finally {
        await task.delete();
      }
    });

    test('exec with stdin: cat gets the input and closing stdin ends it', async () => {
      const task = await create(['sleep', '100']);
      try {
        await task.start();
        const exec = await task.exec(execOpts(['sh', '-c', 'cat; echo done'], { openStdin: true }));
        assert.ok(exec.io);
        const output = drain(exec.io);
        const input = Buffer.alloc(40 * 1024, 'y');
        await exec.io.write(input);
        await exec.io.write(Buffer.from('\n'));
        await exec.io.closeStdin();
        assert.deepEqual(await output, { stdout: `${input.toString()}\ndone\n`, stderr: '' });
        assert.equal((await exec.wait()).exitCode, 0);
        await exec.delete();
      } finally {
        await task.delete();
      }
    });

    test('exec with a TTY: CRLF output on stdout only, and resize reaches its terminal', async () => {
      const task = await create(['sleep', '100']);
      try {
        await task.start();
        const script = 'echo hi >&2; while read x; do [ "$x" = q ] && exit 2; stty size; done';
        const exec = await task.exec(execOpts(['sh', '-c', script], { tty: true, openStdin: true }));
        const io = exec.io;
        assert.ok(io);
        const out = { stdout: '', stderr: '' };
        const reading = (async () => {
          for await (const c of io.output) out[c.stream] += c.data.toString();
        })();
        // Back to back, right after the start: conmon may read both at once, or before it holds the terminal, and
        // then apply the first twice; the last size is sent again once quiet (see ctl.ts). So ask until it shows.
        await Promise.all([exec.resize({ height: 10, width: 20 }), exec.resize({ height: 42, width: 123 })]);
        await waitFor(async () => {
          await io.write(Buffer.from('go\n'));
          await sleep(50);
          return out.stdout.endsWith('42 123\r\n');
        });
        await io.write(Buffer.from('q\n'));
        await reading;
        assert.equal(out.stderr, '');
        assert.match(out.stdout, /^hi\r\ngo\r\n/);
        assert.equal((await exec.wait()).exitCode, 2);
        await exec.delete();
      } finally {
        await task.delete();
      }
    });

    test('exec without attach (docker exec -d): runs, can be killed and waited for', async () => {
      const task = await create(['sleep', '100']);
      try {
        await task.start();
        const quick = await task.exec(execOpts(['sh', '-c', 'echo ignored; sleep 0.2; exit 4'], { attach: false, openStdin: true }));
        assert.equal(quick.io, undefined);
        assert.equal((await quick.wait()).exitCode, 4);
        await quick.delete();

        const long = await task.exec(execOpts(['sleep', '100'], { attach: false }));
        assert.ok((await task.pids()).includes(long.pid));
        // Not PID 1: the default action of SIGTERM applies.
        await long.kill('SIGTERM');
        assert.equal((await long.wait()).exitCode, 143);
        await assert.rejects(long.kill('SIGKILL'), { name: 'FailedPreconditionError' });
        await long.delete();
        assert.equal(await task.status(), 'running');
      } finally {
        await task.delete();
      }
    });

    test('exec of a missing program fails with runc\'s words and leaves nothing', async () => {
      const task = await create(['sleep', '100']);
      try {
        await task.start();
        for (const attach of [true, false]) {
          await assert.rejects(task.exec(execOpts(['no-such-program'], { attach })), (err: Error) => {
            assert.equal(err.name, 'InvalidArgumentError');
            assert.match(err.message, /^OCI runtime exec failed: .*exec: "no-such-program": executable file not found in \$PATH$/);
            return true;
          });
        }
        await assert.rejects(task.exec(execOpts(['/no/such/program'])), (err: Error) => {
          assert.equal(err.name, 'InvalidArgumentError');
          assert.match(err.message, /^OCI runtime exec failed: .*no such file or directory/);
          return true;
        });
        assert.deepEqual(await readdir(join(stateDir, 'containers', task.id, 'execs')), []);
        assert.equal(await task.status(), 'running');
      } finally {
        await task.delete();
      }
    });

    test('exec reports a monitor that dies before saying anything, and leaves nothing', async () => {
      const task = await create(['sleep', '100']);
      try {
        await task.start();
        // The same state, seen by a runtime whose "conmon" exits at once.
        const broken = await new RuncConmonRuntime({ stateDir, conmonPath: '/bin/false' }).load(task.id);
        assert.ok(broken);
        for (const attach of [true, false]) {
          await assert.rejects(broken.exec(execOpts(['true'], { attach })), (err: Error) => {
            assert.equal(err.name, 'InternalError');
            assert.match(err.message, /^conmon exited before the exec started/);
            return true;
          });
        }
        assert.deepEqual(await readdir(join(stateDir, 'containers', task.id, 'execs')), []);
      } finally {
        await task.delete();
      }
    });

    test('exec into a container that is not running fails in Docker\'s words', async () => {
      const task = await create(['sh', '-c', 'exit 0']);
      try {
        const notRunning = { name: 'FailedPreconditionError', message: `Container ${task.id} is not running` };
        await assert.rejects(task.exec(execOpts(['true'])), notRunning);
        await task.start();
        await task.wait();
        await assert.rejects(task.exec(execOpts(['true'])), notRunning);
        await assert.rejects(task.exec(execOpts(['true'], { attach: false })), notRunning);
      } finally {
        await task.delete();
      }
    });

    test('an aborted exec leaves nothing behind, wherever it was stopped', async () => {
      const task = await create(['sleep', '100']);
      try {
        await task.start();
        const execsDir = join(stateDir, 'containers', task.id, 'execs');
        for (const afterMs of [-1, 0, 5, 15, 30]) {
          const ac = new AbortController();
          if (afterMs < 0) ac.abort();
          else setTimeout(() => ac.abort(), afterMs);
          const res = await task.exec({ ...execOpts(['sleep', '100']), signal: ac.signal }).catch((err: Error) => err);
          // Too late to abort: the exec runs, and is ours to delete.
          if (!(res instanceof Error)) await res.delete();
          else assert.equal(res.name, 'AbortError');
          assert.deepEqual(await readdir(execsDir).catch(() => []), []);
          assert.deepEqual(await task.pids(), [task.pid]);
        }
      } finally {
        await task.delete();
      }
    });

    test('deleting a container ends its execs and their monitors', async () => {
      const task = await create(['sleep', '100']);
      await task.start();
      const exec = await task.exec(execOpts(['sleep', '100'], { attach: false }));
      const attached = await task.exec(execOpts(['sleep', '100']));
      await task.delete();
      assert.equal((await exec.wait()).exitCode, 137);
      assert.equal((await attached.wait()).exitCode, 137);
      assert.equal(await runtime.load(task.id), undefined);
    });

    test('reopenLog after the log was renamed writes to a new file at the path', async () => {
      const task = await create(['sh', '-c', 'while true; do echo tick; sleep 0.02; done']);
      try {
        await task.start();
        await waitFor(async () => (await logText(task.id).catch(() => [])).length >= 2);
        const rotated = `${logPath(task.id)}.1`;
        await rename(logPath(task.id), rotated);
        await task.reopenLog();
        await waitFor(async () => (await logText(task.id).catch(() => [])).length >= 2);
        for (const line of await logText(task.id)) assert.equal(line, 'stdout:tick\n');
        // The old file no longer grows.
        const size = (await stat(rotated)).size;
        await sleep(200);
        assert.equal((await stat(rotated)).size, size);
        await rm(rotated);
      } finally {
        await task.delete();
      }
    });

    test('logSizeMax makes conmon keep the log under the limit', async () => {
      const line = 'x'.repeat(60);
      const task = await create(['sh', '-c', `i=0; while [ $i -lt 300 ]; do echo $i-${line}; i=$((i+1)); done`], { logSizeMax: 4096 });
      try {
        await task.start();
        assert.equal((await task.wait()).exitCode, 0);
        const size = (await stat(logPath(task.id))).size;
        assert.ok(size > 0 && size <= 4096, `log is ${size} bytes`);
        const lines = await logText(task.id);
        assert.equal(lines.at(-1), `stdout:299-${line}\n`);
      } finally {
        await task.delete();
      }
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

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Polls `cond` until it holds; fails after `timeoutMs`. */
async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms: ${cond.toString()}`);
    await sleep(20);
  }
}

/** The memory limit of a cgroup: the v1 memory controller on a hybrid host, memory.max on a pure v2 one. */
async function memoryLimit(cgroupsPath: string): Promise<number> {
  const v1 = await readFile(join('/sys/fs/cgroup/memory', cgroupsPath, 'memory.limit_in_bytes'), 'utf8').catch(() => undefined);
  const text = v1 ?? (await readFile(join('/sys/fs/cgroup', cgroupsPath, 'memory.max'), 'utf8'));
  return Number(text.trim());
}
