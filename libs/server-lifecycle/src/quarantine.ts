import { type EventEnvelope, type NewEvent, newEvent } from '@condorhub/contracts';
import type { Decision } from './decide';
import type { ServerState } from './server-state';

/**
 * Node health and quarantine, pure. A strike is evidence against a worker node, never the user's own doing:
 * - the launcher ran its preflight there and the node's file systems hung (`node-unresponsive`
 *   at preflight);
 * - the job ran there and the launcher never said a word (no port, no diagnosis) before the
 *   port-report deadline: a working launcher reports its port, or its failure, long before.
 * A launcher diagnosis that blames the user's setup (home full or not writable, bad config,
 * missing module, the notebook's own exit) is never a strike. Neither is the failure of the
 * automatic retry elsewhere: failing the same way on a second node points at the user, not at
 * either node. And one user alone can never get a node quarantined (a job can be suspended or
 * starved by its owner): quarantine needs strikes from several users.
 */
export interface NodeStrike {
  host: string;
  user?: string;
  reason: string;
}

/** The strike `event` brings against the spawn's node, given the server's state after it. */
export function nodeStrike(state: ServerState, event: EventEnvelope): NodeStrike | undefined {
  const d = event.data as any;
  if (!state.spawnId || d.spawnId !== state.spawnId || state.retryOf) return undefined;
  const user = state.user;
  if (event.type === 'PortReportTimedOut') {
    // Only while still waiting for the port, and only when the launcher never reported.
    if (state.phase !== 'starting' || state.launcherReport) return undefined;
    return { host: d.host, user, reason: `the launcher never reported within ${d.waitedS} s of the job running` };
  }
  if (event.type === 'LauncherReported') {
    if (d.stage !== 'preflight' || d.diagnosis !== 'node-unresponsive' || !state.host) return undefined;
    return { host: state.host, user, reason: "the launcher's preflight hung on the node's file systems" };
  }
  return undefined;
}

export interface NodeState {
  quarantined: boolean;
  /** Strikes since the last release, newest last. */
  strikes: { at: string; spawnId: string; user?: string }[];
}

export function foldNode(events: Pick<EventEnvelope, 'type' | 'recordedAt' | 'data'>[]): NodeState {
  let state: NodeState = { quarantined: false, strikes: [] };
  for (const e of events) {
    const d = e.data as any;
    if (e.type === 'NodeStrikeRecorded')
      state = { ...state, strikes: [...state.strikes, { at: e.recordedAt, spawnId: d.spawnId, user: d.user }] };
    if (e.type === 'NodeQuarantined') state = { ...state, quarantined: true };
    if (e.type === 'NodeReleased') state = { quarantined: false, strikes: [] };
  }
  return state;
}

export interface QuarantineSettings {
  quarantineStrikes: number;
  quarantineWindowS: number;
  /** Distinct users the strikes in the window must come from. */
  quarantineMinUsers: number;
}

/**
 * Quarantine after `quarantineStrikes` strikes within the window from at least
 * `quarantineMinUsers` users: one bad spawn is bad luck, several users failing there is the node.
 * Returns the reason, or undefined.
 */
export function quarantineReason(state: NodeState, now: Date, s: QuarantineSettings): string | undefined {
  if (state.quarantined) return undefined;
  const recent = state.strikes.filter((x) => now.getTime() - Date.parse(x.at) <= s.quarantineWindowS * 1000);
  // A strike recorded before strikes named their user counts as a user of its own.
  const users = new Set(recent.map((x) => x.user ?? `spawn:${x.spawnId}`));
  if (recent.length < s.quarantineStrikes || users.size < s.quarantineMinUsers) return undefined;
  return `${recent.length} spawns of ${users.size} users failed on this node within ${Math.round(s.quarantineWindowS / 60)} min`;
}

/**
 * Counting a strike against a node: the strike, and NodeQuarantined when it tips the node over
 * the threshold, to be appended to the node's stream (`node`: its events so far) in one append.
 */
export function decideStrike(
  node: Pick<EventEnvelope, 'type' | 'recordedAt' | 'data'>[],
  strike: NodeStrike & { spawnId: string },
  now: Date,
  settings: QuarantineSettings,
): NewEvent[] {
  const recorded = newEvent('NodeStrikeRecorded', strike);
  const after = foldNode([...node, { type: recorded.type, recordedAt: now.toISOString(), data: recorded.data }]);
  const reason = quarantineReason(after, now, settings);
  if (!reason) return [recorded];
  return [recorded, newEvent('NodeQuarantined', { host: strike.host, strikes: after.strikes.length, reason })];
}

/** An operator puts a quarantined node back into service; a node in service is refused. */
export function decideRelease(node: NodeState, cmd: { host: string; by: string }): Decision {
  if (!node.quarantined) return { ok: false, code: 'not-quarantined', reason: `${cmd.host} is not quarantined` };
  return { ok: true, events: [newEvent('NodeReleased', { host: cmd.host, by: cmd.by })] };
}
