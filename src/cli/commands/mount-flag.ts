/**
 * docker's `--mount` flag (docker/cli opts/mount.go MountOpt): a CSV list of `key=value` fields turned into the
 * API's mount.Mount, with docker's words for a bad field.
 */
import { ramInBytes } from '../../pkg/units.js';

export interface MountSpec {
  Type: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; DriverConfig?: { Name: string; Options?: Record<string, string> }; Subpath?: string };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

/** The fields of one CSV record (docker reads the value with encoding/csv: `"` quotes a field). */
function csvFields(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (quoted) {
      if (ch === '"' && value[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"' && cur === '') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function parseBool(key: string, v: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw new Error(`invalid value for ${key}: ${v}`);
}

export function parseMountFlag(value: string): MountSpec {
  const mount: MountSpec = { Type: 'volume' };
  const volumeOptions = (): NonNullable<MountSpec['VolumeOptions']> => (mount.VolumeOptions ??= {});
  const bindOptions = (): NonNullable<MountSpec['BindOptions']> => (mount.BindOptions ??= {});
  const tmpfsOptions = (): NonNullable<MountSpec['TmpfsOptions']> => (mount.TmpfsOptions ??= {});
  for (const field of csvFields(value)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    let val = eq < 0 ? '' : field.slice(eq + 1);
    if (eq < 0) {
      switch (key) {
        case 'readonly':
        case 'ro':
          mount.ReadOnly = true;
          continue;
        case 'volume-nocopy':
          volumeOptions().NoCopy = true;
          continue;
        case 'bind-nonrecursive':
          bindOptions().NonRecursive = true;
          continue;
        default:
          throw new Error(`invalid field '${field}' must be a key=value pair`);
      }
    }
    val = val.trim();
    switch (key) {
      case 'type':
        mount.Type = val;
        break;
      case 'source':
      case 'src':
        mount.Source = val;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        mount.Target = val;
        break;
      case 'readonly':
      case 'ro':
        mount.ReadOnly = parseBool(key, val);
        break;
      case 'consistency':
        mount.Consistency = val;
        break;
      case 'bind-propagation':
        bindOptions().Propagation = val;
        break;
      case 'bind-nonrecursive':
        bindOptions().NonRecursive = parseBool(key, val);
        break;
      case 'volume-nocopy':
        volumeOptions().NoCopy = parseBool(key, val);
        break;
      case 'volume-subpath':
        volumeOptions().Subpath = val;
        break;
      case 'volume-label': {
        const [k, ...rest] = val.split('=');
        (volumeOptions().Labels ??= {})[k!] = rest.join('=');
        break;
      }
      case 'volume-driver':
        volumeOptions().DriverConfig = { ...(volumeOptions().DriverConfig ?? {}), Name: val };
        break;
      case 'volume-opt': {
        const [k, ...rest] = val.split('=');
        const driver = (volumeOptions().DriverConfig ??= { Name: '' });
        (driver.Options ??= {})[k!] = rest.join('=');
        break;
      }
      case 'tmpfs-size':
        tmpfsOptions().SizeBytes = ramInBytes(val);
        break;
      case 'tmpfs-mode': {
        if (!/^[0-7]+$/.test(val)) throw new Error(`invalid value for ${key}: ${val}`);
        tmpfsOptions().Mode = parseInt(val, 8);
        break;
      }
      default:
        throw new Error(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (mount.Type === '') throw new Error('type is required');
  if (!mount.Target) throw new Error('target is required');
  if (mount.VolumeOptions && mount.Type !== 'volume') throw new Error(`cannot mix 'volume-*' options with mount type '${mount.Type}'`);
  if (mount.BindOptions && mount.Type !== 'bind') throw new Error(`cannot mix 'bind-*' options with mount type '${mount.Type}'`);
  if (mount.TmpfsOptions && mount.Type !== 'tmpfs') throw new Error(`cannot mix 'tmpfs-*' options with mount type '${mount.Type}'`);
  return mount;
}
