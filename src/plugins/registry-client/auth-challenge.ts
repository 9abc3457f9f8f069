/**
 * `WWW-Authenticate` challenges (RFC 7235) as registries send them:
 * `Basic realm="Registry Realm"` or `Bearer realm="https://auth.example/token",service="registry",scope="repository:x:pull"`.
 */
export interface Challenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  const out: Challenge[] = [];
  for (const h of Array.isArray(header) ? header : [header]) {
    // Challenges are separated by the start of a new scheme token; params are key=value or key="quoted".
    const re = /([A-Za-z]+)\s*((?:[a-zA-Z_]+\s*=\s*(?:"(?:[^"\\]|\\.)*"|[^,\s]*)\s*,?\s*)*)/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(h)) !== null) {
      if (m[0] === '') {
        re.lastIndex++;
        continue;
      }
      const scheme = (m[1] ?? '').toLowerCase();
      if (scheme !== 'basic' && scheme !== 'bearer') continue;
      const params: Record<string, string> = {};
      const pre = /([a-zA-Z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
      let p: RegExpExecArray | null;
      while ((p = pre.exec(m[2] ?? '')) !== null) {
        params[(p[1] ?? '').toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
      }
      out.push({ scheme, params });
    }
  }
  return out;
}
