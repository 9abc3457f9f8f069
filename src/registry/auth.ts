/**
 * Who may do what. Three modes, as distribution's auth config:
 *  - none: everyone may do everything;
 *  - htpasswd: every request carries Basic credentials checked against bcrypt entries (`htpasswd -B`), else 401
 *    with `WWW-Authenticate: Basic realm=...`;
 *  - token: every request carries `Bearer <jwt>` whose `access` claim covers the repository and actions the
 *    request needs, else 401 with `WWW-Authenticate: Bearer realm=...,service=...,scope=...`. The registry issues
 *    those tokens itself at the realm (`/token`) after checking Basic credentials against the htpasswd file:
 *    a known user gets what the scope asks for, an anonymous one gets nothing. Tokens are HS256 JWTs signed with a
 *    key made at start-up, so they die with the process, as a short-lived token should.
 */
import bcrypt from 'bcryptjs';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { RegistryError } from './errors.js';

/** One `resource type : name : actions` grant or need (`repository:library/busybox:pull,push`). */
export interface Access {
  type: string;
  name: string;
  actions: string[];
}

export function formatScope(a: Access): string {
  return `${a.type}:${a.name}:${a.actions.join(',')}`;
}

/** Parses a scope string; the name may itself hold colons (`repository:host:5000/x:pull` never occurs, but be exact). */
export function parseScope(s: string): Access | undefined {
  const first = s.indexOf(':');
  const last = s.lastIndexOf(':');
  if (first === -1 || first === last) return undefined;
  const actions = s.slice(last + 1).split(',').filter((a) => a !== '');
  return { type: s.slice(0, first), name: s.slice(first + 1, last), actions };
}

/** Parses an htpasswd file's bcrypt entries (the only kind distribution accepts). */
export function parseHtpasswd(text: string): Map<string, string> {
  const users = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const hash = line.slice(colon + 1);
    if (!/^\$2[aby]\$\d\d\$/.test(hash)) continue;
    users.set(line.slice(0, colon), hash);
  }
  return users;
}

function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  if (!header || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Checks Basic credentials against an htpasswd file; successful checks are remembered (bcrypt costs ~50 ms). */
export class HtpasswdCheck {
  readonly #users: Map<string, string>;
  readonly #verified = new Set<string>();

  constructor(users: Map<string, string>) {
    this.#users = users;
  }

  static fromFile(path: string): HtpasswdCheck {
    return new HtpasswdCheck(parseHtpasswd(readFileSync(path, 'utf8')));
  }

  /** The user name when the Authorization header holds valid Basic credentials; undefined otherwise. */
  async check(authorization: string | undefined): Promise<string | undefined> {
    const creds = basicCredentials(authorization);
    if (!creds) return undefined;
    const hash = this.#users.get(creds.user);
    if (hash === undefined) return undefined;
    const key = createHash('sha256').update(`${creds.user}\0${creds.password}\0${hash}`).digest('hex');
    if (this.#verified.has(key)) return creds.user;
    if (!(await bcrypt.compare(creds.password, hash))) return undefined;
    if (this.#verified.size > 1000) this.#verified.clear();
    this.#verified.add(key);
    return creds.user;
  }
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  nbf: number;
  iat: number;
  jti: string;
  access: Access[];
}

/** Issues and verifies the registry's own bearer tokens. */
export class TokenIssuer {
  readonly #key: Buffer;
  readonly issuer: string;
  readonly ttlSeconds: number;
  readonly #now: () => number;

  constructor(options: { issuer?: string; ttlSeconds?: number; key?: Buffer; now?: () => number } = {}) {
    this.#key = options.key ?? randomBytes(32);
    this.issuer = options.issuer ?? 'berth-registry-token-issuer';
    this.ttlSeconds = options.ttlSeconds ?? 300;
    this.#now = options.now ?? (() => Math.floor(Date.now() / 1000));
  }

  issue(subject: string, audience: string, access: Access[]): { token: string; claims: TokenClaims } {
    const now = this.#now();
    const claims: TokenClaims = { iss: this.issuer, sub: subject, aud: audience, exp: now + this.ttlSeconds, nbf: now - 5, iat: now, jti: randomBytes(12).toString('hex'), access };
    const signing = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
    return { token: `${signing}.${b64url(createHmac('sha256', this.#key).update(signing).digest())}`, claims };
  }

  /** The token's claims when its signature, issuer, audience and lifetime hold; undefined otherwise. */
  verify(token: string, audience: string): TokenClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const expected = createHmac('sha256', this.#key).update(`${parts[0]}.${parts[1]}`).digest();
    const given = Buffer.from(parts[2]!, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let claims: TokenClaims;
    try {
      const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as { alg?: unknown };
      if (header.alg !== 'HS256') return undefined;
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as TokenClaims;
    } catch {
      return undefined;
    }
    const now = this.#now();
    if (claims.iss !== this.issuer || claims.aud !== audience) return undefined;
    if (typeof claims.exp !== 'number' || claims.exp < now || typeof claims.nbf !== 'number' || claims.nbf > now) return undefined;
    if (!Array.isArray(claims.access)) return undefined;
    return claims;
  }
}

/** Whether granted access covers every action needed (`*` grants all). */
export function covers(granted: Access[], needed: Access[]): boolean {
  return needed.every((n) =>
    n.actions.every((action) => granted.some((g) => g.type === n.type && g.name === n.name && (g.actions.includes(action) || g.actions.includes('*')))),
  );
}

export type AuthConfig =
  | { mode: 'none' }
  | { mode: 'htpasswd'; realm: string; htpasswd: HtpasswdCheck }
  | { mode: 'token'; realm: string | undefined; service: string; htpasswd: HtpasswdCheck; issuer: TokenIssuer };

/**
 * Checks a request's Authorization against the access it needs; throws UNAUTHORIZED (with the challenge header)
 * when it falls short. `realmFor` supplies the default token realm (derived from the request's own address).
 */
export async function authorize(config: AuthConfig, authorization: string | undefined, needed: Access[], realmFor: () => string): Promise<void> {
  if (config.mode === 'none') return;
  if (config.mode === 'htpasswd') {
    if ((await config.htpasswd.check(authorization)) !== undefined) return;
    throw new RegistryError('UNAUTHORIZED', { headers: { 'WWW-Authenticate': `Basic realm="${config.realm}"` } });
  }
  const realm = config.realm ?? realmFor();
  let challenge = `Bearer realm="${realm}",service="${config.service}"`;
  if (needed.length > 0) challenge += `,scope="${needed.map(formatScope).join(' ')}"`;
  const bearer = authorization && /^bearer /i.test(authorization) ? authorization.slice(7).trim() : undefined;
  if (bearer === undefined) {
    throw new RegistryError('UNAUTHORIZED', { headers: { 'WWW-Authenticate': challenge }, detail: needed.map((n) => ({ Type: n.type, Name: n.name, Action: n.actions.join(',') })) });
  }
  const claims = config.issuer.verify(bearer, config.service);
  if (!claims) throw new RegistryError('UNAUTHORIZED', { headers: { 'WWW-Authenticate': `${challenge},error="invalid_token"` } });
  if (!covers(claims.access, needed)) {
    throw new RegistryError('UNAUTHORIZED', {
      headers: { 'WWW-Authenticate': `${challenge},error="insufficient_scope"` },
      detail: needed.map((n) => ({ Type: n.type, Name: n.name, Action: n.actions.join(',') })),
    });
  }
}

/** What the token endpoint grants: a known user gets the requested pull/push/delete; anyone else nothing. */
export function grant(user: string | undefined, requested: Access[]): Access[] {
  if (user === undefined) return [];
  const allowed = new Set(['pull', 'push', 'delete', '*']);
  return requested
    .filter((r) => r.type === 'repository' || r.type === 'registry')
    .map((r) => ({ type: r.type, name: r.name, actions: r.actions.filter((a) => allowed.has(a)) }));
}
