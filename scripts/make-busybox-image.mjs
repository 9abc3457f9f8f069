#!/usr/bin/env node
// Writes a `docker save` archive of a busybox image built from this host's static busybox (Debian's
// busybox-static, /bin/busybox), for tests that need a real image without a registry:
//
//   node scripts/make-busybox-image.mjs <out.tar> [--tag name:tag] [--busybox /bin/busybox]
//
// The archive is deterministic (sorted entries, fixed mtimes, uid/gid 0, compact JSON in a fixed key order),
// so the image ID printed at the end is stable for a given busybox binary. It holds both layouts a loader may
// read: Docker's manifest.json + repositories (Docker 20.10 and later) and an OCI image layout (oci-layout,
// index.json, blobs/sha256/*: Docker 25+ and the containerd image store). Uses only tar-stream and node built-ins.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import tarStream from 'tar-stream';

const CREATED = '2024-01-01T00:00:00Z';
const MTIME = new Date(CREATED);
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
};

const PASSWD = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
`;
const GROUP = `root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
tty:x:5:
disk:x:6:
wheel:x:10:root
users:x:100:
nogroup:x:65534:
`;
/**
 * Name lookups as Debian images (and Docker's containers) do them: /etc/hosts first, then DNS. Static glibc
 * 2.34 and later has the files and dns sources built in (strace shows no library is opened for a lookup), so
 * this file is all the image needs for `wget http://<name>/`; without it glibc asks DNS before /etc/hosts.
 */
const NSSWITCH = `passwd: files
group: files
shadow: files
hosts: files dns
networks: files
protocols: files
services: files
`;
/** Directories of the root filesystem and their modes (root's home is private, /tmp is sticky). */
const DIRS = new Map([
  ['bin', 0o755],
  ['dev', 0o755],
  ['etc', 0o755],
  ['home', 0o755],
  ['proc', 0o755],
  ['root', 0o700],
  ['sbin', 0o755],
  ['sys', 0o755],
  ['tmp', 0o1777],
  ['usr', 0o755],
  ['usr/bin', 0o755],
  ['usr/sbin', 0o755],
  ['var', 0o755],
  ['var/spool', 0o755],
  ['var/spool/mail', 0o755],
]);

function usage(message) {
  console.error(`${message}\nusage: node scripts/make-busybox-image.mjs <out.tar> [--tag name:tag] [--busybox /bin/busybox]`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { out: undefined, tag: 'busybox:latest', busybox: '/bin/busybox' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--tag' || arg === '--busybox') {
      const value = argv[++i];
      if (value === undefined) usage(`${arg} needs a value`);
      opts[arg.slice(2)] = value;
    } else if (arg.startsWith('--tag=')) opts.tag = arg.slice('--tag='.length);
    else if (arg.startsWith('--busybox=')) opts.busybox = arg.slice('--busybox='.length);
    else if (arg.startsWith('-')) usage(`unknown option ${arg}`);
    else if (opts.out === undefined) opts.out = arg;
    else usage(`unexpected argument ${arg}`);
  }
  if (opts.out === undefined) usage('missing output file');
  return opts;
}

/** Splits `name[:tag]` (a registry port is not a tag: the tag comes after the last slash). */
function parseTag(ref) {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  const [name, tag] = colon > slash ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, 'latest'];
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(name.replace(/^[^/]+[.:][^/]*\//, '')) ||
      !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) {
    usage(`invalid tag ${JSON.stringify(ref)}`);
  }
  // The fully qualified name containerd records in index.json annotations.
  const first = name.split('/')[0];
  const qualified = !name.includes('/')
    ? `docker.io/library/${name}`
    : /[.:]/.test(first) || first === 'localhost'
      ? name
      : `docker.io/${name}`;
  return { name, tag, familiar: `${name}:${tag}`, qualified: `${qualified}:${tag}` };
}

function sha256(buf) {
  return createHash('sha256').update(buf).digest('hex');
}

function dockerArch() {
  const arch = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' }[process.arch];
  if (!arch) throw new Error(`no Docker architecture name for ${process.arch}`);
  return arch;
}

/** Packs entries (already sorted) into one in-memory tar: the layer is about 2 MB. */
async function packTar(entries) {
  const pack = tarStream.pack();
  const chunks = [];
  const collected = (async () => {
    for await (const chunk of pack) chunks.push(chunk);
  })();
  for (const { data, ...header } of entries) {
    await new Promise((resolve, reject) => {
      const done = (err) => (err ? reject(err) : resolve());
      const full = { uid: 0, gid: 0, uname: '', gname: '', mtime: MTIME, ...header };
      if (data === undefined) pack.entry(full, done).end(null);
      else pack.entry(full, data, done);
    });
  }
  pack.finalize();
  await collected;
  return Buffer.concat(chunks);
}

function layerEntries(busyboxPath) {
  const binary = readFileSync(busyboxPath);
  const applets = execFileSync(busyboxPath, ['--list-full'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().replace(/^\/+/, ''))
    .filter((l) => l !== '' && l !== 'bin/busybox');
  const dirs = new Map(DIRS);
  for (const applet of applets) {
    const parts = applet.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!dirs.has(dir)) dirs.set(dir, 0o755);
    }
  }
  const entries = [
    ...[...dirs].map(([name, mode]) => ({ path: name, name: `${name}/`, type: 'directory', mode })),
    { path: 'bin/busybox', name: 'bin/busybox', type: 'file', mode: 0o755, data: binary },
    { path: 'etc/group', name: 'etc/group', type: 'file', mode: 0o644, data: Buffer.from(GROUP) },
    { path: 'etc/nsswitch.conf', name: 'etc/nsswitch.conf', type: 'file', mode: 0o644, data: Buffer.from(NSSWITCH) },
    { path: 'etc/passwd', name: 'etc/passwd', type: 'file', mode: 0o644, data: Buffer.from(PASSWD) },
    ...applets.map((applet) => ({ path: applet, name: applet, type: 'symlink', mode: 0o777, linkname: '/bin/busybox' })),
  ];
  const seen = new Set();
  for (const e of entries) {
    if (seen.has(e.path)) throw new Error(`duplicate layer entry ${e.path}`);
    seen.add(e.path);
  }
  // Byte order of the path: a directory sorts before its children ("bin" < "bin/ash").
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return entries.map(({ path: _path, ...entry }) => entry);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const ref = parseTag(opts.tag);

  const layer = await packTar(layerEntries(opts.busybox));
  const layerHex = sha256(layer);

  const config = Buffer.from(
    JSON.stringify({
      architecture: dockerArch(),
      config: { Env: [PATH_ENV], Cmd: ['sh'] },
      created: CREATED,
      history: [
        { created: CREATED, created_by: '/bin/sh -c #(nop) ADD file:busybox-static in / ' },
        { created: CREATED, created_by: '/bin/sh -c #(nop)  CMD ["sh"]', empty_layer: true },
      ],
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [`sha256:${layerHex}`] },
    }),
  );
  const configHex = sha256(config);

  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.manifest,
      config: { mediaType: MEDIA.config, digest: `sha256:${configHex}`, size: config.length },
      layers: [{ mediaType: MEDIA.layer, digest: `sha256:${layerHex}`, size: layer.length }],
    }),
  );
  const manifestHex = sha256(manifest);

  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA.index,
    manifests: [
      {
        mediaType: MEDIA.manifest,
        digest: `sha256:${manifestHex}`,
        size: manifest.length,
        annotations: { 'io.containerd.image.name': ref.qualified, 'org.opencontainers.image.ref.name': ref.tag },
      },
    ],
  });
  const dockerManifest = JSON.stringify([
    { Config: `blobs/sha256/${configHex}`, RepoTags: [ref.familiar], Layers: [`blobs/sha256/${layerHex}`] },
  ]);
  // Legacy v1 field: the top layer's ID, which for a single layer is its chain ID, i.e. its diff ID.
  const repositories = JSON.stringify({ [ref.name]: { [ref.tag]: layerHex } });

  const blobs = [
    [configHex, config],
    [layerHex, layer],
    [manifestHex, manifest],
  ].sort(([a], [b]) => (a < b ? -1 : 1));
  const archive = [
    { name: 'blobs/', type: 'directory', mode: 0o755 },
    { name: 'blobs/sha256/', type: 'directory', mode: 0o755 },
    ...blobs.map(([hex, data]) => ({ name: `blobs/sha256/${hex}`, type: 'file', mode: 0o644, data })),
    { name: 'index.json', type: 'file', mode: 0o644, data: Buffer.from(index) },
    { name: 'manifest.json', type: 'file', mode: 0o644, data: Buffer.from(dockerManifest) },
    { name: 'oci-layout', type: 'file', mode: 0o644, data: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })) },
    { name: 'repositories', type: 'file', mode: 0o644, data: Buffer.from(repositories) },
  ];
  const tar = await packTar(archive);
  await pipeline([tar], createWriteStream(opts.out));
  console.log(`sha256:${configHex}`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
