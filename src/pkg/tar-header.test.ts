import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import tar from 'tar-stream';
import { goFileMode, goModeIsDir, goModeIsRegular, GO_MODE_DIR, GO_MODE_SYMLINK } from './go-file-mode.js';
import { encodeHeader, END_OF_ARCHIVE, padding } from './tar-header.js';

describe('tar headers and Go file modes', () => {
  it('writes headers tar-stream reads back, with PAX for long names and links', async () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(120)}`;
    const body = Buffer.from('hello');
    const buf = Buffer.concat([
      encodeHeader({ name: long, type: 'file', mode: 0o4755, uid: 1000, gid: 2000, size: body.length, mtime: 1700000000 }),
      body,
      padding(body.length),
      encodeHeader({ name: 'l', type: 'symlink', mode: 0o777, uid: 0, gid: 0, size: 0, mtime: 0, linkname: `/${'x'.repeat(150)}` }),
      END_OF_ARCHIVE,
    ]);
    const extract = tar.extract();
    const seen: tar.Header[] = [];
    const reading = (async () => {
      for await (const e of extract) {
        seen.push(e.header);
        e.resume();
      }
    })();
    extract.end(buf);
    await reading;
    assert.equal(seen[0]?.name, long);
    assert.equal(seen[0]?.mode, 0o4755);
    assert.equal(seen[0]?.uid, 1000);
    assert.equal(seen[0]?.mtime?.getTime(), 1700000000 * 1000);
    assert.equal(seen[1]?.linkname, `/${'x'.repeat(150)}`);
  });

  it('maps st_mode to Go os.FileMode bits', () => {
    assert.equal(goFileMode(0o040755), GO_MODE_DIR + 0o755);
    assert.equal(goFileMode(0o041777), GO_MODE_DIR + 2 ** 20 + 0o777);
    assert.equal(goFileMode(0o120777), GO_MODE_SYMLINK + 0o777);
    assert.equal(goFileMode(0o104755), 2 ** 23 + 0o755);
    assert.ok(goModeIsDir(goFileMode(0o040700)) && !goModeIsRegular(goFileMode(0o040700)));
    assert.ok(goModeIsRegular(goFileMode(0o100644)));
  });
});
