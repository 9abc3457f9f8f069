import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tabwriterFormat } from './tabwriter.js';

test('tabwriterFormat aligns like docker images (minwidth 10, padding 3)', () => {
  const input = 'REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\nbusybox\tlatest\tc76f1e1fea5c\tAbout a minute ago\t1.98MB\n';
  const want =
    'REPOSITORY   TAG       IMAGE ID       CREATED              SIZE\n' +
    'busybox      latest    c76f1e1fea5c   About a minute ago   1.98MB\n';
  assert.equal(tabwriterFormat(input), want);
});

test('tabwriterFormat pads tab-terminated trailing cells and leaves the last cell alone', () => {
  assert.equal(tabwriterFormat('b\tLABELS\t\nc\ta.b=c\t{"x":1}\n'), 'b         LABELS    \nc         a.b=c     {"x":1}\n');
});

test('tabwriterFormat: a line without tabs ends column blocks', () => {
  const input = 'a\tb\nlonglonglonglong\tc\nsingle\nx\ty\n';
  assert.equal(tabwriterFormat(input), 'a                  b\nlonglonglonglong   c\nsingle\nx         y\n');
});

test('tabwriterFormat counts runes, not bytes', () => {
  assert.equal(tabwriterFormat('héllo\tx\nab\ty\n'), 'héllo     x\nab        y\n');
});

test('tabwriterFormat handles ragged rows as Go does', () => {
  // Column 1 exists only on the first two lines, so it forms its own block.
  const input = 'a\tbb\tc\nddd\te\tf\ng\th\n';
  assert.equal(tabwriterFormat(input), 'a         bb        c\nddd       e         f\ng         h\n');
});
