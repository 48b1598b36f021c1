// The chaos run's verdict, from what it saw: the event log, condor_q, the dead letters, the
// probes' answers and what the driver last asked of each server. Pure, so it is tested by
// feeding it histories (invariants.unit.spec.ts).
import type { EventEnvelope } from '@condorhub/contracts';
import { type ServerPhase, type ServerState, evolve, initialServerState, isActive } from '@condorhub/server-lifecycle';

export type Ask = 'start' | 'stop';

export interface QueuedJob {
  jobId: string;
  status: string;
  owner?: string;
  spawnId?: string;
}

export interface DeadLetter {
  consumer: string;
  /** The dead-letter message as the consumer published it: {subject, streamSequence, reason, payload}. */
  body: string;
}

/** A response from a notebook whose owner is not the probing user. */
export interface ForeignResponse {
  user: string;
  path: string;
  status: number;
  owner: string;
}

export interface ProbeTally {
  user: string;
  requests: number;
  /** Answers from the user's own notebook. */
  ownAnswers: number;
  foreign: ForeignResponse[];
  /** Answers in which a notebook said it got the hub's session cookie. */
  hubCookieSeen: { path: string; owner: string }[];
}

export interface ChaosHistory {
  /** When the check runs (ISO). */
  now: string;
  /** Every event of every server-… stream, in log order. */
  events: EventEnvelope[];
  /** What the driver last asked of each server (stream id), and the hub acknowledged. */
  asked: Map<string, Ask>;
  queue: QueuedJob[];
  deadLetters: DeadLetter[];
  probes: ProbeTally[];
  /** Seconds a server may stay in each phase; phases not named have no deadline. */
  deadlines: Partial<Record<ServerPhase, number>>;
}

export interface ChaosVerdict {
  /** `chaos.<name>` figures. */
  figures: Record<string, number>;
  /** One line per broken invariant instance; the run fails when any. */
  failures: string[];
  /** Facts worth reading that break nothing (each dead letter, with its reason). */
  notes: string[];
}

interface SpawnStory {
  streamId: string;
  spawnId: string;
  jobIds: string[];
  ready: boolean;
  failed?: string;
  stopped: boolean;
}

interface ServerView {
  state: ServerState;
  phaseSince: string;
}

const PHASES_WITH_JOB: ServerPhase[] = ['submitted', 'queued', 'starting', 'port-reported', 'routing', 'ready'];

/** Folds each server stream, remembering when the current phase began. */
function foldServers(events: EventEnvelope[]): Map<string, ServerView> {
  const servers = new Map<string, ServerView>();
  for (const e of events) {
    const view = servers.get(e.streamId) ?? { state: initialServerState(), phaseSince: e.recordedAt };
    const next = evolve(view.state, e);
    servers.set(e.streamId, {
      state: next,
      phaseSince: next.phase !== view.state.phase ? e.recordedAt : view.phaseSince,
    });
  }
  return servers;
}

function spawnStories(events: EventEnvelope[]): Map<string, SpawnStory> {
  const stories = new Map<string, SpawnStory>();
  for (const e of events) {
    const d = e.data as { spawnId?: string; jobId?: string; diagnosis?: string; stage?: string; userMessage?: string };
    if (!d.spawnId) continue;
    let s = stories.get(d.spawnId);
    if (!s) {
      s = { streamId: e.streamId, spawnId: d.spawnId, jobIds: [], ready: false, stopped: false };
      stories.set(d.spawnId, s);
    }
    if (e.type === 'JobSubmitted' && d.jobId) s.jobIds.push(d.jobId);
    if (e.type === 'ServerReady') s.ready = true;
    if (e.type === 'SpawnFailed') s.failed = `${d.stage}/${d.diagnosis}: ${String(d.userMessage ?? '').slice(0, 120)}`;
    if (e.type === 'ServerStopped') s.stopped = true;
  }
  return stories;
}

interface ParsedDeadLetter {
  consumer: string;
  reason?: string;
  type?: string;
  streamId?: string;
  spawnId?: string;
  error?: string;
}

function parseDeadLetter(dl: DeadLetter): ParsedDeadLetter {
  try {
    const body = JSON.parse(dl.body) as { reason?: unknown; payload?: unknown };
    const reason = typeof body.reason === 'string' && body.reason.trim() ? body.reason : undefined;
    const event = JSON.parse(String(body.payload)) as { type?: string; streamId?: string; data?: { spawnId?: string } };
    return { consumer: dl.consumer, reason, type: event.type, streamId: event.streamId, spawnId: event.data?.spawnId };
  } catch (error) {
    return { consumer: dl.consumer, error: `unreadable dead letter: ${String(error)}` };
  }
}

export function checkInvariants(h: ChaosHistory): ChaosVerdict {
  const failures: string[] = [];
  const notes: string[] = [];
  const now = Date.parse(h.now);
  const servers = foldServers(h.events);
  const stories = spawnStories(h.events);

  // Lost events: every spawn ends, stopped or (the current one) ready.
  const lost = new Set<string>();
  let submitted = 0;
  let failed = 0;
  for (const s of stories.values()) {
    if (s.jobIds.length) submitted++;
    if (s.failed) {
      failed++;
      notes.push(`spawn failed: ${s.streamId} ${s.spawnId}: ${s.failed}`);
    }
    const view = servers.get(s.streamId);
    const liveReady = view?.state.spawnId === s.spawnId && view.state.phase === 'ready' && s.ready;
    if (s.stopped || liveReady) continue;
    lost.add(s.spawnId);
    const phase = view?.state.spawnId === s.spawnId ? view.state.phase : 'superseded';
    failures.push(
      `lost: ${s.streamId} spawn ${s.spawnId}${s.jobIds.length ? ` (job ${s.jobIds.join(', ')})` : ''} ` +
        `has no ${s.ready ? 'ServerStopped' : 'ServerReady or ServerStopped'}; phase ${phase}${s.failed ? `, failed ${s.failed}` : ''}`,
    );
  }

  // The end state each server reached agrees with what was last asked of it.
  let inconsistent = 0;
  for (const [streamId, ask] of h.asked) {
    const state = servers.get(streamId)?.state;
    const phase = state?.phase ?? 'none';
    const ok =
      ask === 'stop'
        ? phase === 'stopped' || phase === 'none'
        : phase === 'ready' || (phase === 'stopped' && state?.failure !== undefined);
    if (ok) continue;
    inconsistent++;
    failures.push(
      `asked ${ask}, ended ${phase}: ${streamId}${state?.stopReason ? ` (stop reason ${state.stopReason})` : ''}`,
    );
  }

  // Deadlines: no server sits in a phase longer than the phase allows.
  let overdue = 0;
  for (const [streamId, view] of servers) {
    const limit = h.deadlines[view.state.phase];
    if (limit === undefined) continue;
    const inPhaseS = (now - Date.parse(view.phaseSince)) / 1000;
    if (inPhaseS <= limit) continue;
    overdue++;
    failures.push(
      `past deadline: ${streamId} in ${view.state.phase} for ${inPhaseS.toFixed(0)} s (deadline ${limit} s)`,
    );
  }

  // Jobs and servers agree: every queued job is named by a live server, and every live server
  // past its submit has its job in the queue.
  const liveJobs = new Map<string, string>();
  for (const [streamId, view] of servers)
    if (isActive(view.state) && view.state.jobId) liveJobs.set(view.state.jobId, streamId);
  const queued = h.queue.filter((j) => j.status !== 'completed');
  let strays = 0;
  for (const job of queued) {
    if (liveJobs.has(job.jobId)) continue;
    strays++;
    failures.push(
      `stray job: ${job.jobId} (${job.status}, owner ${job.owner ?? '?'}, spawn ${job.spawnId ?? '?'}) named by no live server`,
    );
  }
  const queuedIds = new Set(queued.map((j) => j.jobId));
  let jobless = 0;
  for (const [streamId, view] of servers) {
    const s = view.state;
    if (!PHASES_WITH_JOB.includes(s.phase) || !s.jobId || queuedIds.has(s.jobId)) continue;
    jobless++;
    failures.push(`no job: ${streamId} is ${s.phase} but its job ${s.jobId} is not in condor_q`);
  }

  // Probes: nobody's requests reached another user's notebook, nor the hub's cookie any notebook.
  // Grouped by how the path was spelled (the other user's name as <other>): one line per hole.
  const spelling = (path: string, owner: string) => path.split(`/${owner}/`).join('/<other>/');
  const group = <T extends { path: string; owner: string }>(items: (T & { user: string })[]) => {
    const out = new Map<string, { n: number; example: T & { user: string } }>();
    for (const x of items) {
      const key = spelling(x.path, x.owner);
      const g = out.get(key) ?? { n: 0, example: x };
      g.n++;
      out.set(key, g);
    }
    return out;
  };
  const foreign = h.probes.flatMap((p) => p.foreign);
  for (const [path, g] of group(foreign))
    failures.push(
      `foreign: ${path} reached another user's notebook ×${g.n} (e.g. ${g.example.user} got ${g.example.owner}'s, ${g.example.status})`,
    );
  const leaks = h.probes.flatMap((p) => p.hubCookieSeen.map((c) => ({ ...c, user: p.user })));
  for (const [path, g] of group(leaks))
    failures.push(
      `hub cookie leak: ${path} carried the hub's session cookie to a notebook ×${g.n} (e.g. ${g.example.user}'s to ${g.example.owner}'s)`,
    );

  // Dead letters: each listed with its reason; one is accounted for when it has a reason and
  // its spawn still ended (the fact it carried was not lost with it).
  let unaccounted = 0;
  for (const dl of h.deadLetters.map(parseDeadLetter)) {
    const what = dl.type ? `${dl.type} on ${dl.streamId}` : 'unknown event';
    const lostWith = dl.spawnId !== undefined && lost.has(dl.spawnId);
    if (dl.error || !dl.reason || lostWith) {
      unaccounted++;
      failures.push(
        `dead letter unaccounted: ${dl.consumer}: ${what}: ${dl.error ?? (dl.reason ? `its spawn never ended (${dl.reason})` : 'no reason given')}`,
      );
    } else notes.push(`dead letter: ${dl.consumer}: ${what}: ${dl.reason}`);
  }

  const figures: Record<string, number> = {
    servers: servers.size,
    spawns: stories.size,
    spawns_submitted: submitted,
    spawns_failed: failed,
    lost_events: lost.size,
    inconsistent_end_states: inconsistent,
    servers_past_deadline: overdue,
    stray_jobs: strays,
    servers_without_job: jobless,
    probe_requests: h.probes.reduce((n, p) => n + p.requests, 0),
    probe_own_answers: h.probes.reduce((n, p) => n + p.ownAnswers, 0),
    foreign_notebook_responses: foreign.length,
    hub_cookie_leaks: leaks.length,
    dead_letters: h.deadLetters.length,
    dead_letters_unaccounted: unaccounted,
  };
  return { figures, failures, notes };
}

/** The figures that must be 0 for the run to pass. */
export const MUST_BE_ZERO = [
  'lost_events',
  'inconsistent_end_states',
  'servers_past_deadline',
  'stray_jobs',
  'servers_without_job',
  'foreign_notebook_responses',
  'hub_cookie_leaks',
  'dead_letters_unaccounted',
] as const;
