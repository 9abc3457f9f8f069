import type { BuildCacheRecord } from '../../core/metadata.js';
import type { StepDescription } from './build-types.js';

/**
 * Says why a step missed the cache, by comparing it with the steps built earlier on the same parent: the
 * one with the same instruction text tells which build arg or which copied file changed; without one the
 * instruction itself changed. Returns undefined when nothing was ever built on this parent (a first build
 * needs no explanation).
 */
export function explainMiss(earlier: readonly BuildCacheRecord[], now: StepDescription): string | undefined {
  if (earlier.length === 0) return undefined;
  const parsed = earlier.map((r) => parse(r.description)).filter((d): d is StepDescription => d !== undefined);
  const same = parsed.find((d) => d.instruction === now.instruction);
  if (!same) {
    // The newest earlier step of the same kind is most likely this one before an edit.
    const keyword = (text: string): string => /^\s*(\S+)/.exec(text)?.[1]?.toUpperCase() ?? '';
    const previous = parsed.find((d) => keyword(d.instruction) === keyword(now.instruction));
    return previous ? `the instruction changed (was: ${previous.instruction})` : undefined;
  }
  const reasons: string[] = [];
  const argNames = new Set([...Object.keys(same.args), ...Object.keys(now.args)]);
  for (const name of [...argNames].sort()) {
    if (same.args[name] !== now.args[name]) reasons.push(`build arg ${name} changed`);
  }
  const files = new Set([...Object.keys(same.files), ...Object.keys(now.files)]);
  const changed: string[] = [];
  for (const f of [...files].sort()) {
    if (same.files[f] === undefined) changed.push(`${f} (new)`);
    else if (now.files[f] === undefined) changed.push(`${f} (gone)`);
    else if (same.files[f] !== now.files[f]) changed.push(f);
  }
  if (changed.length > 0) reasons.push(`${changed.length === 1 ? 'file' : 'files'} changed: ${changed.slice(0, 10).join(', ')}${changed.length > 10 ? ` and ${changed.length - 10} more` : ''}`);
  if (reasons.length === 0 && same.extra !== now.extra) reasons.push(`${now.extra ?? 'its options'} changed`);
  return reasons.length > 0 ? reasons.join('; ') : 'an input of the step changed';
}

function parse(json: string): StepDescription | undefined {
  try {
    return JSON.parse(json) as StepDescription;
  } catch {
    return undefined;
  }
}
