/**
 * The proxy's in-process route table: a longest-prefix trie over path segments.
 *
 * It is desired state, driven from outside (the `routes` projection at start, then
 * RouteRequested / RouteRemovalRequested events). The rules that close failure mode 4
 * (a reused slot reaching someone else's notebook) live here, so every caller gets them:
 *  - a route belongs to one spawn (`spawnId`) and carries a monotonic `generation`;
 *    a set() with an older generation than the route (or tombstone) it would replace is ignored;
 *  - a target (host:port) belongs to at most one live user route: a newer route on the same
 *    target evicts the older one (reason `target-reused`); an older one is refused;
 *  - remove(routeSpec, spawnId) removes only that spawn's route.
 */

export type RouteKind = 'user' | 'static';

export interface RouteInput {
  /** URL prefix ending in '/', e.g. '/user/alice/' or '/user/alice/gpu/'. */
  routeSpec: string;
  /** Origin of the notebook, e.g. 'http://127.0.0.2:41234'. */
  target: string;
  spawnId: string;
  owner: string;
  /** '' for the default server. */
  serverName: string;
  /**
   * Monotonic across all spawns (e.g. the event-store global position of SpawnRequested,
   * or spawnStartedAt in ms). Newer spawns have larger numbers. Defaults to 0.
   */
  generation?: number;
  /** 'static' routes (hub, port-registry) skip ownership checks and target uniqueness. */
  kind?: RouteKind;
}

export interface Route extends Required<RouteInput> {
  /** host:port of the target, the key of target uniqueness. */
  readonly targetHost: string;
  /** Parsed once here so the request path never parses URLs. */
  readonly targetUrl: URL;
}

export type RemovalReason = 'removed' | 'replaced' | 'target-reused';

export interface RemovedRoute {
  route: Route;
  reason: RemovalReason;
}

export type SetOutcome =
  | { applied: true; route: Route; removed: RemovedRoute[] }
  | {
      applied: false;
      reason: 'unchanged' | 'older-generation' | 'removed-spawn' | 'target-held-by-newer';
      current?: Route;
    };

export interface RouteTableOptions {
  /** Called for every route that leaves the table (removed, replaced, evicted by target reuse). */
  onRemoved?: (removed: RemovedRoute) => void;
}

interface TrieNode {
  children: Map<string, TrieNode> | undefined;
  route: Route | undefined;
}

interface Tombstone {
  generation: number;
  spawnId: string;
}

const newNode = (): TrieNode => ({ children: undefined, route: undefined });

/** Splits a routeSpec or request path into decoded path segments (empty segments dropped). */
export function pathSegments(path: string): string[] | undefined {
  const q = path.indexOf('?');
  const p = q >= 0 ? path.slice(0, q) : path;
  const out: string[] = [];
  for (const raw of p.split('/')) {
    if (raw === '') continue;
    let seg = raw;
    if (raw.includes('%')) {
      try {
        seg = decodeURIComponent(raw);
      } catch {
        return undefined;
      }
    }
    out.push(seg);
  }
  return out;
}

export function normalizeRouteSpec(routeSpec: string): string {
  const segs = pathSegments(routeSpec);
  if (!segs) throw new Error(`invalid routeSpec ${JSON.stringify(routeSpec)}`);
  return segs.length ? `/${segs.join('/')}/` : '/';
}

export function targetHostOf(target: string): string {
  return new URL(target).host.toLowerCase();
}

export class RouteTable {
  private readonly root: TrieNode = newNode();
  private readonly bySpec = new Map<string, Route>();
  private readonly byHost = new Map<string, Route>();
  private readonly tombstones = new Map<string, Tombstone>();

  constructor(private readonly options: RouteTableOptions = {}) {}

  get size(): number {
    return this.bySpec.size;
  }

  /** Adds or replaces a route, applying the generation and target-uniqueness rules. */
  set(input: RouteInput): SetOutcome {
    const routeSpec = normalizeRouteSpec(input.routeSpec);
    const targetUrl = new URL(input.target);
    if (targetUrl.protocol !== 'http:' && targetUrl.protocol !== 'https:') {
      throw new Error(`unsupported target protocol in ${input.target}`);
    }
    const route: Route = Object.freeze({
      routeSpec,
      target: targetUrl.origin,
      spawnId: input.spawnId,
      owner: input.owner,
      serverName: input.serverName,
      generation: input.generation ?? 0,
      kind: input.kind ?? 'user',
      targetHost: targetUrl.host.toLowerCase(),
      targetUrl,
    });

    const current = this.bySpec.get(routeSpec);
    // The same route again (an event delivered twice, by the announcement and the relay): nothing to do.
    if (
      current &&
      current.spawnId === route.spawnId &&
      current.target === route.target &&
      current.generation === route.generation
    ) {
      return { applied: false, reason: 'unchanged', current };
    }
    if (current && current.spawnId !== route.spawnId && route.generation < current.generation) {
      return { applied: false, reason: 'older-generation', current };
    }
    const tomb = this.tombstones.get(routeSpec);
    if (tomb && !current) {
      if (route.generation < tomb.generation) return { applied: false, reason: 'older-generation' };
      // A spawn whose route was removed stays removed: a late RouteRequested must not resurrect it.
      if (tomb.spawnId === route.spawnId) return { applied: false, reason: 'removed-spawn' };
    }
    const holder = route.kind === 'user' ? this.byHost.get(route.targetHost) : undefined;
    if (holder && holder.routeSpec !== routeSpec && holder.generation > route.generation) {
      return { applied: false, reason: 'target-held-by-newer', current: holder };
    }

    const removed: RemovedRoute[] = [];
    if (holder && holder.routeSpec !== routeSpec) {
      this.delete(holder);
      removed.push({ route: holder, reason: 'target-reused' });
    }
    if (current) {
      this.delete(current, false);
      if (current.spawnId !== route.spawnId || current.target !== route.target) {
        removed.push({ route: current, reason: 'replaced' });
      }
    }
    this.insert(route);
    for (const r of removed) this.options.onRemoved?.(r);
    return { applied: true, route, removed };
  }

  /** Removes the route at routeSpec; when spawnId is given, only if it belongs to that spawn. */
  remove(routeSpec: string, spawnId?: string): Route | undefined {
    const route = this.bySpec.get(normalizeRouteSpec(routeSpec));
    if (!route || (spawnId !== undefined && route.spawnId !== spawnId)) return undefined;
    this.delete(route);
    this.options.onRemoved?.({ route, reason: 'removed' });
    return route;
  }

  /** Replaces the whole table (rebuild from the projection); tombstones are dropped too. */
  load(routes: RouteInput[]): SetOutcome[] {
    for (const r of [...this.bySpec.values()]) this.delete(r, false);
    this.tombstones.clear();
    // Oldest first, so target reuse resolves to the newest spawn whatever the input order.
    const sorted = [...routes].sort((a, b) => (a.generation ?? 0) - (b.generation ?? 0));
    return sorted.map((r) => this.set(r));
  }

  /** Longest-prefix match for a request path (query string ignored). Hot path: no allocation per segment beyond slicing. */
  match(path: string): Route | undefined {
    let node = this.root;
    let best = node.route;
    let i = path.charCodeAt(0) === 47 ? 1 : 0;
    const end = (() => {
      const q = path.indexOf('?');
      return q >= 0 ? q : path.length;
    })();
    while (i < end && node.children) {
      let j = path.indexOf('/', i);
      if (j < 0 || j > end) j = end;
      if (j > i) {
        let seg = path.slice(i, j);
        if (seg.includes('%')) {
          try {
            seg = decodeURIComponent(seg);
          } catch {
            return undefined;
          }
        }
        const next = node.children.get(seg);
        if (!next) break;
        node = next;
        if (node.route) best = node.route;
      }
      i = j + 1;
    }
    return best;
  }

  get(routeSpec: string): Route | undefined {
    return this.bySpec.get(normalizeRouteSpec(routeSpec));
  }

  all(): Route[] {
    return [...this.bySpec.values()];
  }

  /** The live user route holding a target (any URL with that host:port). */
  byTarget(target: string): Route | undefined {
    return this.byHost.get(target.includes('://') ? targetHostOf(target) : target.toLowerCase());
  }

  private insert(route: Route): void {
    let node = this.root;
    for (const seg of pathSegments(route.routeSpec) ?? []) {
      node.children ??= new Map();
      let next = node.children.get(seg);
      if (!next) {
        next = newNode();
        node.children.set(seg, next);
      }
      node = next;
    }
    node.route = route;
    this.bySpec.set(route.routeSpec, route);
    if (route.kind === 'user') this.byHost.set(route.targetHost, route);
    this.tombstones.delete(route.routeSpec);
  }

  private delete(route: Route, tombstone = true): void {
    const segs = pathSegments(route.routeSpec) ?? [];
    const path: TrieNode[] = [this.root];
    let node: TrieNode | undefined = this.root;
    for (const seg of segs) {
      node = node.children?.get(seg);
      if (!node) return;
      path.push(node);
    }
    if (node.route !== route) return;
    node.route = undefined;
    // Prune empty branches so churn over months does not grow the trie.
    for (let k = segs.length; k > 0; k--) {
      const n = path[k];
      if (n.route || (n.children && n.children.size)) break;
      path[k - 1].children?.delete(segs[k - 1]);
    }
    this.bySpec.delete(route.routeSpec);
    if (this.byHost.get(route.targetHost) === route) this.byHost.delete(route.targetHost);
    if (tombstone && route.kind === 'user') {
      this.tombstones.set(route.routeSpec, { generation: route.generation, spawnId: route.spawnId });
    }
  }
}
