import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';

import { goJson } from '../../pkg/go-template.js';
import { StatusError } from '../errors.js';
import { jsonLines } from '../../client/engine-client.js';
import { EventMessage, formatEvent, makeEventTemplate, prettyEvent, rfc3339NanoFixed } from './events.js';

// What berthd (and dockerd for API 1.43) sends: one object per line.
const START =
  '{"status":"start","id":"4f2c9a0b1d2e","from":"busybox","Type":"container","Action":"start","Actor":{"ID":"4f2c9a0b1d2e",' +
  '"Attributes":{"name":"web","image":"busybox","com.example":"a\\u003cb"}},"scope":"local","time":1795946400,"timeNano":1795946400123456789}';
const NETWORK =
  '{"Type":"network","Action":"connect","Actor":{"ID":"9e9e","Attributes":{"container":"4f2c","name":"bridge","type":"bridge"}},"scope":"local","time":1795946401,"timeNano":1795946401000000000}';

describe('EventMessage.parse', () => {
  it('keeps timeNano exact beyond a double', () => {
    const e = EventMessage.parse(START);
    assert.equal(e.TimeNano, 1795946400123456789n);
    assert.equal(e.Time, 1795946400);
    assert.equal(e.Actor.Attributes['com.example'], 'a<b');
    assert.equal(e.From, 'busybox');
  });

  it('is not fooled by an attribute that mentions timeNano', () => {
    const e = EventMessage.parse(
      '{"Type":"container","Action":"x","Actor":{"ID":"a","Attributes":{"k":"\\"timeNano\\":5"}},"time":1,"timeNano":1000000007}',
    );
    assert.equal(e.TimeNano, 1000000007n);
  });
});

describe('prettyEvent (docker prettyPrintEvent)', () => {
  it('prints the time with nine digits, then type, action, actor and sorted attributes', () => {
    assert.equal(
      prettyEvent(EventMessage.parse(START), 0),
      '2026-11-29T10:00:00.123456789Z container start 4f2c9a0b1d2e (com.example=a<b, image=busybox, name=web)\n',
    );
    assert.equal(
      prettyEvent(EventMessage.parse(NETWORK), 0),
      '2026-11-29T10:00:01.000000000Z network connect 9e9e (container=4f2c, name=bridge, type=bridge)\n',
    );
  });

  it('prints the local zone offset as Go does', () => {
    assert.equal(rfc3339NanoFixed(1795946400123456789n, 60), '2026-11-29T11:00:00.123456789+01:00');
    assert.equal(rfc3339NanoFixed(1795946400000000001n, -330), '2026-11-29T04:30:00.000000001-05:30');
  });

  it('falls back to time without timeNano, and prints no time when neither is set', () => {
    const e = EventMessage.parse('{"Type":"daemon","Action":"reload","Actor":{"ID":"D","Attributes":{}},"time":1795946400}');
    assert.equal(prettyEvent(e, 0), '2026-11-29T10:00:00.000000000Z daemon reload D\n');
    const none = EventMessage.parse('{"Type":"image","Action":"tag","Actor":{"ID":"sha256:1","Attributes":null}}');
    assert.equal(prettyEvent(none, 0), 'image tag sha256:1\n');
  });
});

describe('--format', () => {
  it('json prints Go json of events.Message: omitempty, sorted attributes, no HTML escaping', () => {
    const tmpl = makeEventTemplate('json')!;
    assert.equal(
      formatEvent(tmpl, EventMessage.parse(START)).text,
      '{"status":"start","id":"4f2c9a0b1d2e","from":"busybox","Type":"container","Action":"start","Actor":{"ID":"4f2c9a0b1d2e",' +
        '"Attributes":{"com.example":"a<b","image":"busybox","name":"web"}},"scope":"local","time":1795946400,"timeNano":1795946400123456789}\n',
    );
    assert.equal(
      goJson(EventMessage.parse('{"Type":"image","Action":"tag","Actor":{"ID":"x"}}')),
      '{"Type":"image","Action":"tag","Actor":{"ID":"x","Attributes":null}}',
    );
  });

  it('gives templates the Go field names', () => {
    const tmpl = makeEventTemplate('{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.TimeNano}} {{.ID}} {{.Scope}}')!;
    assert.equal(formatEvent(tmpl, EventMessage.parse(START)).text, 'container start web 1795946400123456789 4f2c9a0b1d2e local\n');
  });

  it('refuses a bad template before any event, with exit status 64', () => {
    assert.throws(
      () => makeEventTemplate('{{.Bogus}}'),
      (e: unknown) =>
        e instanceof StatusError &&
        e.statusCode === 64 &&
        e.message === 'Error parsing format: template: :1:2: executing "" at <.Bogus>: can\'t evaluate field Bogus in type *events.Message',
    );
    assert.throws(
      () => makeEventTemplate('{{nope}}'),
      (e: unknown) => e instanceof StatusError && e.statusCode === 64 && e.message === 'Error parsing format: template: :1: function "nope" not defined',
    );
    assert.equal(makeEventTemplate(''), undefined);
  });

  it('writes the partial output and a newline when a template fails on an event', () => {
    const tmpl = makeEventTemplate('{{.Action}} {{if .ID}}{{index .Actor.Attributes 1}}{{end}}')!;
    const r = formatEvent(tmpl, EventMessage.parse(START));
    assert.equal(r.text, 'start \n');
    assert.ok(r.error);
  });
});

describe('jsonLines', () => {
  it('splits chunks at newlines and keeps a last line without one', async () => {
    const out: string[] = [];
    for await (const l of jsonLines(Readable.from(['{"a":1}\n{"b"', ':2}\n\n{"c":3}']))) out.push(l);
    assert.deepEqual(out, ['{"a":1}', '{"b":2}', '{"c":3}']);
  });
});
