import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyChanges, words } from './import-changes.js';

describe('applyChanges', () => {
  it('applies the instructions docker import accepts', () => {
    const cfg = applyChanges({ Env: ['A=1'] }, [
      'ENV A=2 B="two words"',
      'ENV LEGACY value with spaces',
      'CMD ["echo", "hi"]',
      'ENTRYPOINT /bin/sh -c',
      'WORKDIR /srv',
      'USER nobody',
      'LABEL team=blue "x y"=z',
      'EXPOSE 80 53/udp',
      'VOLUME /data',
      'STOPSIGNAL SIGINT',
    ]);
    assert.deepEqual(cfg.Env, ['A=2', 'B=two words', 'LEGACY=value with spaces']);
    assert.deepEqual(cfg.Cmd, ['echo', 'hi']);
    assert.deepEqual(cfg.Entrypoint, ['/bin/sh', '-c', '/bin/sh -c']);
    assert.equal(cfg.WorkingDir, '/srv');
    assert.equal(cfg.User, 'nobody');
    assert.deepEqual(cfg.Labels, { team: 'blue', 'x y': 'z' });
    assert.deepEqual(cfg.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
    assert.deepEqual(cfg.Volumes, { '/data': {} });
    assert.equal(cfg.StopSignal, 'SIGINT');
  });
  it('shell form of CMD becomes /bin/sh -c', () => {
    assert.deepEqual(applyChanges({}, ['CMD echo hi']).Cmd, ['/bin/sh', '-c', 'echo hi']);
  });
  it('refuses what is not a change command, in Docker’s words', () => {
    assert.throws(() => applyChanges({}, ['RUN true']), { message: 'RUN is not a valid change command' });
    assert.throws(() => applyChanges({}, ['EXPOSE notaport']), /invalid containerPort/);
    assert.throws(() => applyChanges({}, ['ENV']), /ENV requires/);
  });
  it('splits words with quotes and escapes', () => {
    assert.deepEqual(words(`a "b c" 'd e' f\\ g`), ['a', 'b c', 'd e', 'f g']);
    assert.throws(() => words('"open'), /unmatched quote/);
  });
});
