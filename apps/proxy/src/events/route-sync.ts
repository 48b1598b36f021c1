import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Pool } from 'pg';
import {
  type EventEnvelope,
  type NewEvent,
  announceSubjectFilter,
  eventSubjectFilter,
  newEvent,
  parseEnvelope,
  serverStreamId,
} from '@condorhub/contracts';
import {
  DuplicateEventError,
  type StoredRouteEvent,
  appendToStream,
  decideAndAppend,
  deterministicEventId,
  storedEventAt,
  storedEventById,
} from '@condorhub/event-store';
import { listDesiredRoutes } from '@condorhub/read-models';
import { type LifecycleSettings, foldServer, followUp } from '@condorhub/server-lifecycle';
import {
  type RemovedRoute,
  type Route,
  type RouteInput,
  type RouteTable,
  type SetOutcome,
  normalizeRouteSpec,
} from '../routing/route-table';

/**
 * Keeps a replica's route table equal to the desired state. Events apply at once (a core
 * NATS subscription: each replica sees every event); a reconcile against the `routes`
 * projection at start and every `reconcileMs` repairs whatever a disconnect missed. Each
 * confirmation (RouteAdded/RouteRemoved) has a deterministic event id, so two replicas
 * confirming the same change store it once.
 */
export class RouteSync {
  private sub?: Subscription;
  private announced?: Subscription;
  private confirming?: Subscription;
  private timer?: NodeJS.Timeout;
  private closed = false;
  /** Routes this replica set out to confirm in the store (each a read of the stream at least). */
  confirmations = 0;

  constructor(
    private readonly opts: {
      pool: Pool;
      nc: NatsConnection;
      prefix: string;
      routes: RouteTable;
      /** For the lifecycle's follow-up recorded with a RouteAdded (ServerReady). */
      lifecycle: LifecycleSettings;
      reconcileMs?: number;
      log?: (line: string) => void;
    },
  ) {}

  async start(): Promise<void> {
    await this.reconcile();
    const handler = (copy: Copy) => (err: Error | null, msg: Msg) => {
      if (err || this.closed) return;
      let event: EventEnvelope;
      try {
        event = parseEnvelope(msg.json());
      } catch {
        return;
      }
      void this.apply(event, copy).catch((e) => this.opts.log?.(`route event ${event.type}: ${String(e)}`));
    };
    this.sub = this.opts.nc.subscribe(eventSubjectFilter(this.opts.prefix, 'server'), { callback: handler('relayed') });
    // The port registry announces RouteRequested right after its commit; the relay's copy follows
    // and finds the route already set (applying an event twice changes nothing). Every replica
    // sets an announced route; one of them, picked by NATS (a queue group), confirms it: the
    // others would only read the stream and lose the append to it.
    const announced = announceSubjectFilter(this.opts.prefix, 'server', 'RouteRequested');
    this.announced = this.opts.nc.subscribe(announced, { callback: handler('announced') });
    this.confirming = this.opts.nc.subscribe(announced, {
      queue: `${this.opts.prefix}.proxy.confirm`,
      callback: handler('to-confirm'),
    });
    this.timer = setInterval(
      () => void this.reconcile().catch((e) => this.opts.log?.(`reconcile: ${String(e)}`)),
      this.opts.reconcileMs ?? 10_000,
    );
  }

  async stop(): Promise<void> {
    this.closed = true;
    this.sub?.unsubscribe();
    this.announced?.unsubscribe();
    this.confirming?.unsubscribe();
    if (this.timer) clearInterval(this.timer);
  }

  /** The table becomes the projection: routes added, changed routes replaced, others removed. */
  async reconcile(): Promise<void> {
    const desired = new Map<string, RouteInput & { state: string }>();
    for (const r of await listDesiredRoutes(this.opts.pool)) desired.set(r.routeSpec, r);
    for (const route of this.opts.routes.all()) {
      if (route.kind !== 'user') continue;
      const want = desired.get(route.routeSpec);
      if (want && want.spawnId === route.spawnId) continue;
      // The projection lags the announcement and the relay: a route it does not show yet is not
      // a removed one. Removing it here would also leave a tombstone that refuses the same
      // route when its event arrives, for good on this replica. The store decides.
      if (await this.stillRequested(route)) continue;
      this.opts.routes.remove(route.routeSpec, route.spawnId);
    }
    for (const want of desired.values()) {
      const outcome = this.opts.routes.set(want);
      if (outcome.applied) await this.confirmRemovals(outcome.removed);
      // Live here but not yet confirmed in the store (new, or a confirmation that failed): confirm.
      if (isLive(outcome) && want.state === 'requested') await this.confirmAdded(want);
    }
  }

  private async apply(event: EventEnvelope, copy: Copy): Promise<void> {
    if (!ROUTE_EVENTS.has(event.type)) return;
    // Only what the store holds changes who a path reaches (see event-store's sql/stored-route-events.ts).
    const stored = await storedEventById(this.opts.pool, event.eventId);
    if (!stored || !sameEvent(stored, event)) {
      this.opts.log?.(`ignored ${event.type} ${event.eventId} from NATS (${copy}): not in the event store as sent`);
      return;
    }
    const d = stored.data as any;
    switch (event.type) {
      case 'RouteRequested': {
        // A replay of a request the store has since ended (removed, stopped, superseded).
        if (stored.ended) return;
        const input: RouteInput = {
          routeSpec: d.routeSpec,
          target: d.target,
          spawnId: d.spawnId,
          owner: d.owner,
          serverName: serverNameOf(d.routeSpec, d.owner),
          generation: Number(event.globalPosition),
        };
        // A later copy of an event finds the route unchanged.
        const outcome = this.opts.routes.set(input);
        if (outcome.applied) await this.confirmRemovals(outcome.removed);
        // The relay's copy confirms what it set (the announcement, at most once, did not come).
        if (isLive(outcome) && (copy === 'to-confirm' || (copy === 'relayed' && outcome.applied)))
          await this.confirmAdded(input);
        return;
      }
      case 'RouteRemovalRequested': {
        const removed = this.opts.routes.remove(d.routeSpec, d.spawnId);
        await this.record(event.streamId, `removed:${d.spawnId}:${d.routeSpec}`, [
          newEvent('RouteRemoved', {
            spawnId: d.spawnId,
            routeSpec: d.routeSpec,
            reason: removed ? d.reason : `${d.reason} (was not live)`,
          }),
        ]);
        return;
      }
      case 'ServerStopped':
        for (const route of this.opts.routes.all()) {
          if (route.kind === 'user' && route.spawnId === d.spawnId)
            this.opts.routes.remove(route.routeSpec, route.spawnId);
        }
        return;
    }
  }

  /** The store still asks for this live route: its RouteRequested, with nothing after it that ends it. */
  private async stillRequested(route: Route): Promise<boolean> {
    const stored = await storedEventAt(this.opts.pool, route.generation);
    if (!stored || stored.type !== 'RouteRequested' || stored.ended) return false;
    const d = stored.data as { spawnId?: unknown; routeSpec?: unknown };
    return (
      d.spawnId === route.spawnId &&
      typeof d.routeSpec === 'string' &&
      normalizeRouteSpec(d.routeSpec) === route.routeSpec
    );
  }

  private async confirmAdded(r: RouteInput) {
    this.confirmations++;
    const stream = serverStreamId(r.owner, r.serverName);
    // The target too: a rescheduled job's route moves, and is confirmed again, within one spawn.
    const key = `added:${r.spawnId}:${r.routeSpec}:${r.target}`;
    const added = newEvent('RouteAdded', { spawnId: r.spawnId, routeSpec: r.routeSpec, target: r.target });
    const outcome = await decideAndAppend(
      this.opts.pool,
      stream,
      (events) => {
        const state = foldServer(events);
        // Another replica (or worker) confirmed this route first: nothing to write.
        if (state.spawnId === r.spawnId && state.routeAdded && state.routeSpec === r.routeSpec) return undefined;
        // A route that has moved on since (rescheduled job): its old target is not confirmed.
        if (state.spawnId === r.spawnId && state.routeTarget && state.routeTarget !== new URL(r.target).origin)
          return undefined;
        // The server is ready once its route is live: ServerReady goes with RouteAdded (see followUp).
        const next = followUp(state, [added], this.opts.lifecycle, new Date());
        const all = [added, ...next.append];
        // Fixed ids: two replicas confirming the same route store it once.
        return { events: all, cancelTimers: next.cancel, eventIds: all.map((_, i) => this.eventId(key, i)) };
      },
      { metadata: { actor: 'proxy' } },
    );
    // A stream that keeps changing: the fact alone; the spawner follows up as it always can.
    if (outcome === 'conflict') await this.record(stream, key, [added]);
  }

  /** Evictions (target-reused) and replacements are recorded on the old route's stream. */
  private async confirmRemovals(removed: RemovedRoute[]) {
    for (const { route, reason } of removed) {
      if (route.kind !== 'user' || reason === 'replaced') continue;
      await this.record(serverStreamId(route.owner, route.serverName), `removed:${route.spawnId}:${route.routeSpec}`, [
        newEvent('RouteRemoved', { spawnId: route.spawnId, routeSpec: route.routeSpec, reason }),
      ]);
    }
  }

  private eventId(key: string, index: number): string {
    return deterministicEventId('proxy', key, String(index));
  }

  /** Appends a route fact once across replicas and retries. */
  async record(streamId: string, key: string, events: NewEvent[]): Promise<void> {
    try {
      await appendToStream(this.opts.pool, streamId, events, {
        eventIds: events.map((_, i) => this.eventId(key, i)),
        metadata: { actor: 'proxy' },
      });
    } catch (error) {
      if (!(error instanceof DuplicateEventError)) throw error;
    }
  }
}

/** The event types that change the table. */
const ROUTE_EVENTS = new Set(['RouteRequested', 'RouteRemovalRequested', 'ServerStopped']);

/** What decides routing is the same in the message and in the store. */
function sameEvent(stored: StoredRouteEvent, sent: EventEnvelope): boolean {
  if (stored.type !== sent.type || stored.streamId !== sent.streamId || stored.globalPosition !== sent.globalPosition)
    return false;
  const a = stored.data as Record<string, unknown>;
  const b = sent.data as Record<string, unknown>;
  return a.spawnId === b.spawnId && a.routeSpec === b.routeSpec && a.target === b.target && a.owner === b.owner;
}

/** The route is in the table as asked: set now, or already there. */
const isLive = (outcome: SetOutcome) => outcome.applied || outcome.reason === 'unchanged';

/** How an event reached this replica: the relay, an announcement, or an announcement it is to confirm. */
type Copy = 'relayed' | 'announced' | 'to-confirm';

/** `/user/alice/gpu/` → 'gpu', `/user/alice/` → ''. */
export function serverNameOf(routeSpec: string, owner: string): string {
  const rest = routeSpec.slice(`/user/${owner}/`.length).replace(/\/$/, '');
  return rest;
}
