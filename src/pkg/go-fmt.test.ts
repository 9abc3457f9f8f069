import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFloat, formatValue, quote, sprint, sprintf, sprintln } from './go-fmt.js';

test('sprintf integer verbs, width and flags', () => {
  assert.equal(sprintf('%d', 42), '42');
  assert.equal(sprintf('%5d|', 42), '   42|');
  assert.equal(sprintf('%-5d|', 42), '42   |');
  assert.equal(sprintf('%05d', -42), '-0042');
  assert.equal(sprintf('%+d', 5), '+5');
  assert.equal(sprintf('%x %X %#x %o %b', 255, 255, 255, 8, 5), 'ff FF 0xff 10 101');
  assert.equal(sprintf('%c', 65), 'A');
  assert.equal(sprintf('%q', 120), "'x'");
  assert.equal(sprintf('%*d', 4, 7), '   7');
});

test('sprintf string verbs', () => {
  assert.equal(sprintf('%s', 'hi'), 'hi');
  assert.equal(sprintf('%10s|%-10s|', 'a', 'b'), '         a|b         |');
  assert.equal(sprintf('%.2s', 'hello'), 'he');
  assert.equal(sprintf('%q', 'a"b\n'), '"a\\"b\\n"');
  assert.equal(sprintf('%x', 'hi'), '6869');
  assert.equal(sprintf('%v', 'x'), 'x');
  assert.equal(sprintf('%%'), '%');
  assert.equal(sprintf('%5.1s|', 'héllo'), '    h|');
});

test('sprintf float verbs round half to even on the exact value', () => {
  assert.equal(sprintf('%f', 3.14159), '3.141590');
  assert.equal(sprintf('%.2f', 2.675), '2.67');
  assert.equal(sprintf('%.0f', 0.5), '0');
  assert.equal(sprintf('%.0f', 1.5), '2');
  assert.equal(sprintf('%.0f', 2.5), '2');
  assert.equal(sprintf('%.2f', 0.006), '0.01');
  assert.equal(sprintf('%.2f', 0.0004), '0.00');
  assert.equal(sprintf('%8.3f|', 3.14159), '   3.142|');
  assert.equal(sprintf('%e', 1234.5678), '1.234568e+03');
  assert.equal(sprintf('%.3g', 1.125), '1.12');
  assert.equal(sprintf('%.3g', 999.5), '1e+03');
  assert.equal(sprintf('%.3g', 123.4), '123');
  assert.equal(sprintf('%g', 100000.0), '100000');
  assert.equal(sprintf('%g', 1e21), '1e+21');
  assert.equal(sprintf('%.1f', 99.95), '100.0');
  assert.equal(sprintf('%.2f', 9.999), '10.00');
});

test('formatValue prints floats like %v', () => {
  assert.equal(formatValue(1.5), '1.5');
  assert.equal(formatValue(1e6 + 0.5), '1.0000005e+06');
  assert.equal(formatValue(0.0001), '0.0001');
  assert.equal(formatValue(0.00001), '1e-05');
  assert.equal(formatValue(123456.5), '123456.5');
  assert.equal(formatFloat(1e6, 'g', -1), '1e+06');
  assert.equal(formatFloat(1234567, 'g', -1), '1.234567e+06');
  assert.equal(formatFloat(0, 'g', -1), '0');
  assert.equal(formatFloat(-2.5, 'g', -1), '-2.5');
  assert.equal(formatFloat(Infinity, 'g', -1), '+Inf');
});

test('formatValue prints Go-shaped composite values', () => {
  assert.equal(formatValue(['a', 'b']), '[a b]');
  assert.equal(formatValue([]), '[]');
  assert.equal(formatValue({ b: '2', a: '1' }), 'map[a:1 b:2]');
  assert.equal(formatValue({ Status: 'running', Running: true, Pid: 12 }), '{running true 12}');
  assert.equal(formatValue(null), '<nil>');
  assert.equal(formatValue(undefined), '<nil>');
  assert.equal(formatValue(7), '7');
  assert.equal(formatValue(true), 'true');
  assert.equal(formatValue({ String: () => 'custom' }), 'custom');
});

test('sprintf reports Go-style errors for bad, missing and extra operands', () => {
  assert.equal(sprintf('%s', 5), '%!s(int=5)');
  assert.equal(sprintf('%d', 'x'), '%!d(string=x)');
  assert.equal(sprintf('%d'), '%!d(MISSING)');
  assert.equal(sprintf('%d', 1, 3), '1%!(EXTRA int=3)');
  assert.equal(sprintf('%d', null), '%!d(<nil>)');
  assert.equal(sprintf('abc%'), 'abc%!(NOVERB)');
  assert.equal(sprintf('%v', [1, 2]), '[1 2]');
  assert.equal(sprintf('%d', [1, 2]), '[1 2]');
  assert.equal(sprintf('%t', true), 'true');
  assert.equal(sprintf('%T %T %T', 'a', 1, 1.5), 'string int float64');
});

test('quote escapes like strconv.Quote', () => {
  assert.equal(quote('sleep 1000'), '"sleep 1000"');
  assert.equal(quote('a\tb\\c"'), '"a\\tb\\\\c\\""');
  assert.equal(quote('\x01\x7f'), '"\\x01\\x7f"');
  assert.equal(quote('héllo…'), '"héllo…"');
  assert.equal(quote('\u200b'), '"\\u200b"');
});

test('sprint and sprintln space operands like Go', () => {
  assert.equal(sprint('a', 'b'), 'ab');
  assert.equal(sprint(1, 2), '1 2');
  assert.equal(sprint('a', 1, 2, 'b'), 'a1 2b');
  assert.equal(sprintln('a', 1), 'a 1\n');
});
