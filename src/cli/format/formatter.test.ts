import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerSummary, ImageSummary } from '../../client/types.js';
import { StatusError } from '../errors.js';
import { CONTAINER_HEADER, ContainerContext, containerFormat, displayablePorts } from './container-context.js';
import { ellipsis, finalFormat, goRfc3339, renderFormat, truncateId } from './formatter.js';
import { IMAGE_HEADER, imageFormat, imageRows } from './image-context.js';
import { jsonCompact, jsonIndent } from './json-indent.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

function container(over: Partial<ContainerSummary> = {}): ContainerSummary {
  return {
    Id: '277a34d0c5546e269ff7616c48aa6e24633efde15357cbe41116785219ebfad8',
    Names: ['/web'],
    Image: 'busybox',
    ImageID: 'sha256:c76f1e1fea5c3c64f609aa18c357b5406bf3c0bdd56e01621fbbe7e3b8687b79',
    Command: 'sh -c \'while true; do echo tick; sleep 5; done\'',
    Created: NOW / 1000 - 3,
    Ports: [],
    Labels: { 'com.example.app': 'web', tier: 'front' },
    State: 'running',
    Status: 'Up 3 seconds',
    Mounts: [],
    NetworkSettings: { Networks: { bridge: {} } },
    ...over,
  };
}

test('ps default table matches docker byte for byte', () => {
  const rows = [
    new ContainerContext(container(), true, NOW),
    new ContainerContext(container({ Id: 'd83ab3f30d1c' + 'a'.repeat(52), Names: ['/longcmd'], Command: 'sleep 100000000000000', Status: 'Exited (0) 5 minutes ago' }), true, NOW),
  ];
  const out = renderFormat(containerFormat('', false, false), CONTAINER_HEADER, rows);
  assert.equal(
    out,
    'CONTAINER ID   IMAGE     COMMAND                  CREATED         STATUS                     PORTS     NAMES\n' +
      '277a34d0c554   busybox   "sh -c \'while true; …"   3 seconds ago   Up 3 seconds                         web\n' +
      'd83ab3f30d1c   busybox   "sleep 1000000000000…"   3 seconds ago   Exited (0) 5 minutes ago             longcmd\n',
  );
});

test('ps with an empty list still prints the header', () => {
  assert.equal(
    renderFormat(containerFormat('', false, false), CONTAINER_HEADER, []),
    'CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n',
  );
});

test('custom table formats take docker column names, Label titles and keep unknown keys', () => {
  const rows = [new ContainerContext(container(), true, NOW)];
  assert.equal(
    renderFormat('table {{.Names}}\\t{{.Label "com.example.app"}}\\t{{.Labels}}', CONTAINER_HEADER, rows),
    'NAMES     app       LABELS\nweb       web       com.example.app=web,tier=front\n',
  );
  // A header function that fails (json of the header map) truncates the header, as docker's does.
  const out = renderFormat('table {{.Names}}\\t{{json .}}', CONTAINER_HEADER, rows);
  assert.ok(out.startsWith('NAMES     \nweb       {"Command":'), out);
  assert.equal(renderFormat('table {{.Names}}\\t{{json .Names}}', CONTAINER_HEADER, rows), 'NAMES     NAMES\nweb       "web"\n');
});

test('json and raw container formats', () => {
  const c = new ContainerContext(container({ Labels: null }), true, NOW);
  const json = renderFormat('json', CONTAINER_HEADER, [c]);
  const parsed = JSON.parse(json) as Record<string, unknown>;
  assert.deepEqual(Object.keys(parsed), [
    'Command',
    'CreatedAt',
    'ID',
    'Image',
    'Labels',
    'LocalVolumes',
    'Mounts',
    'Names',
    'Networks',
    'Platform',
    'Ports',
    'RunningFor',
    'Size',
    'State',
    'Status',
  ]);
  assert.equal(parsed.Command, '"sh -c \'while true; …"');
  assert.equal(parsed.Platform, null);
  const raw = renderFormat(containerFormat('raw', false, false), CONTAINER_HEADER, [c]);
  assert.match(raw, /^container_id: 277a34d0c554\nimage: busybox\ncommand: "sh -c 'while true; …"\ncreated_at: .*\nstate: running\nstatus: Up 3 seconds\nnames: web\nlabels:\nports:\n\n$/);
  assert.equal(renderFormat(containerFormat('table', true, false), CONTAINER_HEADER, [c]), '277a34d0c554\n');
});

test('bad templates are docker template parsing errors', () => {
  assert.throws(
    () => renderFormat('{{foo}}', CONTAINER_HEADER, []),
    (e: unknown) => e instanceof StatusError && e.message === 'template parsing error: template: :1: function "foo" not defined' && e.statusCode === 1,
  );
  assert.throws(
    () => renderFormat('{{.Nope}}', CONTAINER_HEADER, [new ContainerContext(container(), true, NOW)]),
    (e: Error) => e.message === 'template parsing error: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.ContainerContext',
  );
});

test('finalFormat strips table, expands json and the \\t \\n escapes', () => {
  assert.equal(finalFormat('table {{.ID}}\\t{{.Image}}'), '{{.ID}}\t{{.Image}}');
  assert.equal(finalFormat('json'), '{{json .}}');
  assert.equal(finalFormat('  {{.ID}}\\n '), '{{.ID}}\n');
});

test('container fields: image display, names, size, ports', () => {
  const img = (image: string, imageId = 'sha256:' + 'b'.repeat(64)): string => new ContainerContext(container({ Image: image, ImageID: imageId }), true, NOW).Image();
  assert.equal(img('docker.io/library/busybox:latest'), 'busybox:latest');
  assert.equal(img('busybox@sha256:' + 'c'.repeat(64)), 'busybox');
  assert.equal(img('sha256:' + 'b'.repeat(64)), 'b'.repeat(12));
  assert.equal(img(''), '<no image>');
  assert.equal(img('Bad:Ref!'), 'Bad:Ref!');
  const names = new ContainerContext(container({ Names: ['/other/link', '/web'] }), true, NOW);
  assert.equal(names.Names(), 'web');
  assert.equal(new ContainerContext(container({ Names: ['/other/link', '/web'] }), false, NOW).Names(), 'other/link,web');
  const sized = new ContainerContext(container({ SizeRw: 1500, SizeRootFs: 1982256 }), true, NOW);
  assert.equal(sized.Size(), '1.5kB (virtual 1.98MB)');
  assert.ok(sized.fieldsUsed.has('Size'));
  assert.equal(
    displayablePorts([
      { PrivatePort: 80, Type: 'tcp' },
      { PrivatePort: 81, Type: 'tcp' },
      { PrivatePort: 82, Type: 'tcp' },
      { PrivatePort: 53, Type: 'udp' },
      { IP: '0.0.0.0', PrivatePort: 443, PublicPort: 8443, Type: 'tcp' },
      { IP: '0.0.0.0', PrivatePort: 9000, PublicPort: 9000, Type: 'tcp' },
      { IP: '0.0.0.0', PrivatePort: 9001, PublicPort: 9001, Type: 'tcp' },
      { IP: '::', PrivatePort: 22, PublicPort: 2222, Type: 'tcp' },
    ]),
    '53/udp, 80-82/tcp, 0.0.0.0:9000-9001->9000-9001/tcp, [::]:2222->22/tcp, 0.0.0.0:8443->443/tcp',
  );
});

function image(over: Partial<ImageSummary> = {}): ImageSummary {
  return {
    Id: 'sha256:c76f1e1fea5c3c64f609aa18c357b5406bf3c0bdd56e01621fbbe7e3b8687b79',
    ParentId: '',
    RepoTags: ['busybox:latest'],
    RepoDigests: [],
    Created: NOW / 1000 - 120,
    Size: 1982256,
    SharedSize: -1,
    Labels: null,
    Containers: -1,
    ...over,
  };
}

test('images default table and row expansion', () => {
  const images = [
    image({ RepoTags: ['busybox:latest', 'myrepo/bb:v1', 'localhost:5000/x/y:z'], RepoDigests: ['myrepo/bb@sha256:' + 'd'.repeat(64)] }),
    image({ Id: 'sha256:' + 'e'.repeat(64), RepoTags: [], RepoDigests: [] }),
  ];
  const fmt = imageFormat('table', false, false);
  const out = renderFormat(fmt, IMAGE_HEADER, imageRows(images, { trunc: true, digest: false, format: fmt, now: NOW }));
  assert.equal(
    out,
    'REPOSITORY           TAG       IMAGE ID       CREATED         SIZE\n' +
      'busybox              latest    c76f1e1fea5c   2 minutes ago   1.98MB\n' +
      'myrepo/bb            v1        c76f1e1fea5c   2 minutes ago   1.98MB\n' +
      'localhost:5000/x/y   z         c76f1e1fea5c   2 minutes ago   1.98MB\n' +
      '<none>               <none>    eeeeeeeeeeee   2 minutes ago   1.98MB\n',
  );
  const withDigests = imageFormat('table', false, true);
  const rows = imageRows(images, { trunc: true, digest: true, format: withDigests, now: NOW });
  assert.equal(rows[1]!.Digest(), 'sha256:' + 'd'.repeat(64));
  assert.equal(rows[0]!.Digest(), '<none>');
  assert.equal(renderFormat('json', IMAGE_HEADER, rows.slice(3)).includes('"Digest":"\\u003cnone\\u003e"'), true);
});

test('ellipsis, truncateId, goRfc3339', () => {
  assert.equal(ellipsis('sleep 100000000000000', 20), 'sleep 1000000000000…');
  assert.equal(ellipsis('short', 20), 'short');
  assert.equal(ellipsis('日本語のコマンドです', 9), '日本語の…');
  assert.equal(ellipsis('abc', 1), 'a');
  assert.equal(truncateId('sha256:c76f1e1fea5c3c64'), 'c76f1e1fea5c');
  assert.equal(truncateId('abc'), 'abc');
  if (new Date(0).getTimezoneOffset() === 0) assert.equal(goRfc3339(0), '1970-01-01T00:00:00Z');
});

test('jsonIndent re-lays out without touching values', () => {
  const raw = '{"a":[1,2,{"b":"x\\u003cy"}],"c":{},"d":[],"e":"has \\"quotes\\", commas: and {braces}","f":1e+06}\n';
  assert.equal(
    jsonIndent(`[${raw}]`),
    '[\n    {\n        "a": [\n            1,\n            2,\n            {\n                "b": "x\\u003cy"\n            }\n        ],\n        "c": {},\n        "d": [],\n        "e": "has \\"quotes\\", commas: and {braces}",\n        "f": 1e+06\n    }\n]',
  );
  assert.equal(jsonIndent('[]'), '[]');
  assert.equal(jsonCompact('[ {"a" : [ 1, 2 ] } ,\n {} ]'), '[{"a":[1,2]},{}]');
});
