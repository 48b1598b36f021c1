import type { EventEnvelope } from '@condorhub/contracts';

export interface NodeState {
  quarantined: boolean;
  /** Strikes since the last release, newest last. */
  strikes: { at: string; spawnId: string }[];
}

export function foldNode(events: EventEnvelope[]): NodeState {
  let state: NodeState = { quarantined: false, strikes: [] };
  for (const e of events) {
    const d = e.data as any;
    if (e.type === 'NodeStrikeRecorded')
      state = { ...state, strikes: [...state.strikes, { at: e.recordedAt, spawnId: d.spawnId }] };
    if (e.type === 'NodeQuarantined') state = { ...state, quarantined: true };
    if (e.type === 'NodeReleased') state = { quarantined: false, strikes: [] };
  }
  return state;
}

/** Quarantine after `limit` strikes within `windowS`: one bad spawn is bad luck, two is the node. */
export function shouldQuarantine(state: NodeState, now: Date, limit: number, windowS: number): boolean {
  if (state.quarantined) return false;
  const recent = state.strikes.filter((s) => now.getTime() - Date.parse(s.at) <= windowS * 1000);
  return recent.length >= limit;
}
