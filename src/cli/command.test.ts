import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addCommand, addGroup, DockerCommand, exactArgs, maxArgs, minArgs, NO_ARGS, parseGoBool, rangeArgs } from './command.js';
import { StatusError } from './errors.js';

function tree(): { root: DockerCommand; image: DockerCommand } {
  const root = new DockerCommand('berth');
  root.enablePositionalOptions();
  const image = addGroup(root, 'image', 'Manage images');
  return { root, image };
}

function argsError(cmd: DockerCommand, args: string[]): StatusError {
  try {
    cmd.checkArgs(args);
  } catch (e) {
    assert.ok(e instanceof StatusError);
    return e;
  }
  assert.fail('no error');
}

test('argument-count errors read like docker and exit 1', () => {
  const { root, image } = tree();
  const ps = addCommand(root, { name: 'ps', use: '[OPTIONS]', short: '', args: NO_ARGS });
  assert.equal(argsError(ps, ['x']).message, "berth: 'berth ps' accepts no arguments\n\nUsage:  berth ps [OPTIONS]\n\nRun 'berth ps --help' for more information");
  const run = addCommand(root, { name: 'run', use: '[OPTIONS] IMAGE [COMMAND] [ARG...]', short: '', args: minArgs(1) });
  const e = argsError(run, []);
  assert.equal(e.statusCode, 1);
  assert.equal(e.message, "berth: 'berth run' requires at least 1 argument\n\nUsage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nSee 'berth run --help' for more information");
  const tag = addCommand(image, { name: 'tag', use: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]', short: '', args: exactArgs(2) });
  assert.equal(
    argsError(tag, ['a']).message,
    "berth: 'berth image tag' requires 2 arguments\n\nUsage:  berth image tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n\nRun 'berth image tag --help' for more information",
  );
  const images = addCommand(root, { name: 'images', use: '[OPTIONS] [REPOSITORY[:TAG]]', short: '', args: maxArgs(1) });
  assert.match(argsError(images, ['a', 'b']).message, /requires at most 1 argument\n\nUsage: {2}berth images \[OPTIONS\] \[REPOSITORY\[:TAG\]\]\n\nSRun 'berth images --help'/);
  const r = addCommand(root, { name: 'x', use: 'A [B]', short: '', args: rangeArgs(1, 2) });
  assert.match(argsError(r, []).message, /requires at least 1 and at most 2 arguments/);
  r.checkArgs(['a', 'b']);
});

test('unknown commands: root has no usage line, groups do', () => {
  const { root, image } = tree();
  assert.equal(root.unknownCommandError('frob').message, "berth: unknown command: berth frob\n\nRun 'berth --help' for more information");
  assert.equal(
    image.unknownCommandError('frob').message,
    "berth: unknown command: berth image frob\n\nUsage:  berth image\n\nRun 'berth image --help' for more information",
  );
});

test('parseGoBool accepts exactly strconv.ParseBool spellings', () => {
  for (const t of ['1', 't', 'T', 'TRUE', 'true', 'True']) assert.equal(parseGoBool(t), true);
  for (const f of ['0', 'f', 'F', 'FALSE', 'false', 'False']) assert.equal(parseGoBool(f), false);
  assert.equal(parseGoBool('yes'), undefined);
});

test('filter flags reject values without "=" at parse time', async () => {
  const { root } = tree();
  const ps = addCommand(root, { name: 'ps', use: '[OPTIONS]', short: '', args: NO_ARGS });
  ps.filter('-f, --filter <filter>', 'Filter output');
  ps.exitOverride();
  let got: string[] | undefined;
  ps.action((_a: string[], o: { filter: string[] }) => {
    got = o.filter;
  });
  await root.parseAsync(['ps', '-f', 'status=exited', '--filter=name=x'], { from: 'user' });
  assert.deepEqual(got, ['status=exited', 'name=x']);
  await assert.rejects(root.parseAsync(['ps', '-f', 'bogus'], { from: 'user' }), (e: Error) =>
    e.message.startsWith('invalid argument "bogus" for "-f, --filter" flag: bad format of filter (expected name=value)\n\nUsage:  berth ps [OPTIONS]'),
  );
});
