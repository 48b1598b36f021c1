// JupyterHub's RBAC scopes, as far as this API needs them (facts from jupyterhub/scopes.py,
// 3.x–5.x). A scope is `base` or `base!filter`; filters are `user=<name>`,
// `server=<user>/<servername>` and `group=<name>` (the group and its members). `self` stands for everything a user may do to their own
// resources.

/** Which scopes a scope implies (transitively). */
const SUBSCOPES: Record<string, string[]> = {
  'admin:users': ['admin:auth_state', 'users', 'read:roles:users', 'delete:users'],
  users: ['read:users', 'list:users', 'users:activity'],
  'read:users': ['read:users:name', 'read:users:groups', 'read:users:activity'],
  'list:users': ['read:users:name'],
  'users:activity': ['read:users:activity'],
  'admin:servers': ['admin:server_state', 'servers'],
  servers: ['read:servers', 'delete:servers'],
  'read:servers': ['read:users:name'],
  tokens: ['read:tokens'],
  'admin:groups': ['groups', 'read:roles:groups', 'delete:groups'],
  groups: ['read:groups', 'list:groups'],
  'read:groups': ['read:groups:name'],
  'list:groups': ['read:groups:name'],
  'read:roles': ['read:roles:users', 'read:roles:groups', 'read:roles:services'],
};

/** The `user` role's `self`, before the `!user=<name>` filter is applied. */
export const SELF_SCOPES = ['read:users', 'users:activity', 'servers', 'tokens', 'access:servers', 'read:roles:users'];

/** JupyterHub's `admin` role. */
export const ADMIN_SCOPES = [
  'admin-ui',
  'admin:users',
  'admin:servers',
  'tokens',
  'admin:groups',
  'list:services',
  'read:services',
  'read:hub',
  'proxy',
  'shutdown',
  'access:services',
  'access:servers',
  'read:roles',
  'read:metrics',
];

export interface ParsedScope {
  base: string;
  filter?:
    | { kind: 'user'; user: string }
    | { kind: 'server'; user: string; server: string }
    | { kind: 'group'; group: string };
}

export function parseScope(scope: string): ParsedScope {
  const bang = scope.indexOf('!');
  if (bang < 0) return { base: scope };
  const base = scope.slice(0, bang);
  const filter = scope.slice(bang + 1);
  if (filter.startsWith('user=')) return { base, filter: { kind: 'user', user: filter.slice(5) } };
  if (filter.startsWith('server=')) {
    const value = filter.slice(7);
    const slash = value.indexOf('/');
    if (slash > 0)
      return { base, filter: { kind: 'server', user: value.slice(0, slash), server: value.slice(slash + 1) } };
  }
  if (filter.startsWith('group=') && filter.length > 6)
    return { base, filter: { kind: 'group', group: filter.slice(6) } };
  // An unknown filter (service=, a malformed one) grants nothing here.
  return { base, filter: { kind: 'user', user: '\u0000' } };
}

function formatScope(base: string, filter?: string): string {
  return filter ? `${base}!${filter}` : base;
}

/** Every scope the given ones imply (`self` resolved for `owner`), filtered copies included. */
export function impliedScopes(scopes: string[], owner?: string): Set<string> {
  const out = new Set<string>();
  const visit = (base: string, filter?: string) => {
    const s = formatScope(base, filter);
    if (out.has(s)) return;
    out.add(s);
    for (const sub of SUBSCOPES[base] ?? []) visit(sub, filter);
  };
  for (const scope of scopes) {
    if (scope === 'self' || scope === 'inherit') {
      if (owner) for (const s of SELF_SCOPES) visit(s, `user=${owner}`);
      continue;
    }
    const bang = scope.indexOf('!');
    visit(bang < 0 ? scope : scope.slice(0, bang), bang < 0 ? undefined : scope.slice(bang + 1));
  }
  return out;
}

/** Drops filtered copies of scopes that are also held unfiltered, and sorts. */
export function normalizeScopes(scopes: Iterable<string>): string[] {
  const all = new Set(scopes);
  return [...all]
    .filter((s) => {
      const bang = s.indexOf('!');
      return bang < 0 || !all.has(s.slice(0, bang));
    })
    .sort();
}

/**
 * Expands scopes as JupyterHub reports them in `/hub/api/user`: `self` becomes the user's own
 * scopes filtered to them, every scope adds its subscopes with the same filter, duplicates go.
 */
export function expandScopes(scopes: string[], owner?: string): string[] {
  return normalizeScopes(impliedScopes(scopes, owner));
}

/** What a request acts on: a user, and maybe one of their servers; or a group. */
export interface ScopeTarget {
  user?: string;
  server?: string;
  /** The groups `user` belongs to (filled in only when a `group=` filter has to be checked). */
  userGroups?: string[];
  /** A group acted on as such (/groups/<name>). */
  group?: string;
}

/** Whether any scope has a `group=` filter, so that a check needs the target's groups. */
export function hasGroupFilter(expanded: string[]): boolean {
  return expanded.some((s) => s.includes('!group='));
}

/**
 * True when one of the (expanded) scopes grants `needed` on the target. A `server=` filter
 * only grants actions on that server; a `user=` filter grants actions on the user and all
 * of their servers; a `group=` filter on the group and on its members and their servers; no
 * filter grants everything.
 */
export function scopeAllows(expanded: string[], needed: string, target: ScopeTarget = {}): boolean {
  for (const scope of expanded) {
    const p = parseScope(scope);
    if (p.base !== needed) continue;
    if (!p.filter) return true;
    if (p.filter.kind === 'group') {
      if (target.group === p.filter.group) return true;
      if (target.user !== undefined && target.userGroups?.includes(p.filter.group)) return true;
      continue;
    }
    if (target.user === undefined) continue;
    if (p.filter.kind === 'user' && p.filter.user === target.user) return true;
    if (
      p.filter.kind === 'server' &&
      p.filter.user === target.user &&
      target.server !== undefined &&
      p.filter.server === target.server
    ) {
      return true;
    }
  }
  return false;
}

export function anyScopeAllows(expanded: string[], needed: string[], target: ScopeTarget = {}): boolean {
  return needed.some((n) => scopeAllows(expanded, n, target));
}
