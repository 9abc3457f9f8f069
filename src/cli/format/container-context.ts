/**
 * `ps` rows: docker/cli's ContainerContext. Each method is a `--format` field; `toJSON` is docker's MarshalJSON
 * (every argument-less field, keys sorted).
 */
import type { ContainerSummary, Port } from '../../client/types.js';
import { GO_MARSHAL_JSON, GO_TYPE } from '../../pkg/go-template.js';
import { quote } from '../../pkg/go-fmt.js';
import { familiarString, trimReference, tryParseReference, withTag } from '../../pkg/reference.js';
import { humanDuration, humanSize } from '../../pkg/units.js';
import { ellipsis, goTimeString, RAW_FORMAT_KEY, marshalContext, TABLE_FORMAT_KEY, truncateId, DEFAULT_QUIET_FORMAT } from './formatter.js';

export const DEFAULT_CONTAINER_TABLE_FORMAT = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

export const CONTAINER_HEADER: Record<string, string> = {
  ID: 'CONTAINER ID',
  Names: 'NAMES',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS',
  Platform: 'PLATFORM',
};

/** docker's NewContainerFormat. */
export function containerFormat(source: string, quiet: boolean, size: boolean): string {
  if (source === TABLE_FORMAT_KEY || source === '') {
    if (quiet) return DEFAULT_QUIET_FORMAT;
    return size ? `${DEFAULT_CONTAINER_TABLE_FORMAT}\\t{{.Size}}` : DEFAULT_CONTAINER_TABLE_FORMAT;
  }
  if (source === RAW_FORMAT_KEY) {
    if (quiet) return 'container_id: {{.ID}}';
    let f =
      'container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\ncreated_at: {{.CreatedAt}}\nstate: {{- pad .State 1 0}}\n' +
      'status: {{- pad .Status 1 0}}\nnames: {{.Names}}\nlabels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n';
    if (size) f += 'size: {{.Size}}\\n';
    return f;
  }
  return quiet ? DEFAULT_QUIET_FORMAT : source;
}

const EMPTY_SUMMARY: ContainerSummary = {
  Id: '',
  Names: [],
  Image: '',
  ImageID: '',
  Command: '',
  Created: 0,
  Ports: [],
  Labels: null,
  State: '',
  Status: '',
  Mounts: [],
};

export class ContainerContext {
  readonly [GO_TYPE] = '*formatter.ContainerContext';
  /** Fields a template touched (docker asks the daemon for sizes only when `.Size` is used). */
  readonly fieldsUsed = new Set<string>();
  readonly #c: ContainerSummary;
  readonly #trunc: boolean;
  readonly #now: number;

  constructor(c: ContainerSummary = EMPTY_SUMMARY, trunc = true, now = Date.now()) {
    this.#c = c;
    this.#trunc = trunc;
    this.#now = now;
  }

  ID(): string {
    return this.#trunc ? truncateId(this.#c.Id) : this.#c.Id;
  }

  Names(): string {
    let names = (this.#c.Names ?? []).map((n) => n.slice(1));
    if (this.#trunc) {
      const plain = names.find((n) => n.split('/').length === 1);
      if (plain !== undefined) names = [plain];
    }
    return names.join(',');
  }

  Image(): string {
    const image = this.#c.Image;
    if (image === '') return '<no image>';
    if (this.#trunc) {
      const t = truncateId(this.#c.ImageID ?? '');
      if (t === truncateId(image)) return t;
      const ref = tryParseReference(image);
      // docker drops the digest: the familiar name with its tag, if any.
      if (ref) return familiarString(ref.tag !== undefined ? withTag(trimReference(ref), ref.tag) : trimReference(ref));
    }
    return image;
  }

  Command(): string {
    const cmd = this.#trunc ? ellipsis(this.#c.Command ?? '', 20) : (this.#c.Command ?? '');
    return quote(cmd);
  }

  CreatedAt(): string {
    return goTimeString(this.#c.Created);
  }

  RunningFor(): string {
    return `${humanDuration(this.#now - this.#c.Created * 1000)} ago`;
  }

  Platform(): string | null {
    const desc = (this.#c as { ImageManifestDescriptor?: { platform?: { os?: string; architecture?: string; variant?: string } } })
      .ImageManifestDescriptor;
    const p = desc?.platform;
    if (!p) return null;
    return [p.os, p.architecture, p.variant].filter((x) => x).join('/');
  }

  Ports(): string {
    return displayablePorts(this.#c.Ports ?? []);
  }

  State(): string {
    return this.#c.State;
  }

  Status(): string {
    return this.#c.Status;
  }

  Size(): string {
    this.fieldsUsed.add('Size');
    const srw = humanSize(this.#c.SizeRw ?? 0);
    const sv = humanSize(this.#c.SizeRootFs ?? 0);
    return (this.#c.SizeRootFs ?? 0) > 0 ? `${srw} (virtual ${sv})` : srw;
  }

  Labels(): string {
    const labels = this.#c.Labels;
    if (!labels) return '';
    return Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .sort()
      .join(',');
  }

  Label(name: string): string {
    return this.#c.Labels?.[name] ?? '';
  }

  Mounts(): string {
    return (this.#c.Mounts ?? [])
      .map((m) => {
        const name = m.Name ? m.Name : (m.Source ?? '');
        return this.#trunc ? ellipsis(name, 15) : name;
      })
      .join(',');
  }

  LocalVolumes(): string {
    return String((this.#c.Mounts ?? []).filter((m) => m.Driver === 'local').length);
  }

  Networks(): string {
    const nets = this.#c.NetworkSettings?.Networks;
    return nets ? Object.keys(nets).join(',') : '';
  }

  [GO_MARSHAL_JSON](): string {
    return marshalContext({
      Command: this.Command(),
      CreatedAt: this.CreatedAt(),
      ID: this.ID(),
      Image: this.Image(),
      Labels: this.Labels(),
      LocalVolumes: this.LocalVolumes(),
      Mounts: this.Mounts(),
      Names: this.Names(),
      Networks: this.Networks(),
      Platform: this.Platform(),
      Ports: this.Ports(),
      RunningFor: this.RunningFor(),
      Size: this.Size(),
      State: this.State(),
      Status: this.Status(),
    });
  }
}

function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** docker's DisplayablePorts: consecutive ports grouped into ranges, host mappings last. */
export function displayablePorts(input: readonly Port[]): string {
  const ports = [...input].sort((a, b) => {
    if (a.PrivatePort !== b.PrivatePort) return a.PrivatePort - b.PrivatePort;
    const ia = a.IP ?? '';
    const ib = b.IP ?? '';
    if (ia !== ib) return ia < ib ? -1 : 1;
    const pa = a.PublicPort ?? 0;
    const pb = b.PublicPort ?? 0;
    if (pa !== pb) return pa - pb;
    return a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0;
  });
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  const formGroup = (key: string, start: number, last: number): string => {
    const parts = key.split('/');
    let type = parts[0]!;
    let ip = '';
    if (parts.length > 1) {
      ip = parts[0]!;
      type = parts[1]!;
    }
    let group = String(start);
    if (start !== last) group = `${group}-${last}`;
    if (ip !== '') group = `${joinHostPort(ip, group)}->${group}`;
    return `${group}/${type}`;
  };
  for (const port of ports) {
    const current = port.PrivatePort;
    let key = port.Type;
    if (port.IP) {
      if ((port.PublicPort ?? 0) !== current) {
        hostMappings.push(`${joinHostPort(port.IP, String(port.PublicPort ?? 0))}->${port.PrivatePort}/${port.Type}`);
        continue;
      }
      key = `${port.IP}/${port.Type}`;
    }
    const g = groups.get(key);
    if (!g) {
      groups.set(key, { first: current, last: current });
      continue;
    }
    if (current === g.last + 1) {
      g.last = current;
      continue;
    }
    result.push(formGroup(key, g.first, g.last));
    groups.set(key, { first: current, last: current });
  }
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last));
  result.push(...hostMappings);
  return result.join(', ');
}
