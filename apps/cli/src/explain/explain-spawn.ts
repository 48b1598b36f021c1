import { type EventEnvelope, streamCategory } from '@condorhub/contracts';
import { evolve, initialServerState, stageMessage } from '@condorhub/server-lifecycle';

/** The events of one spawn (the latest, or `spawnId`), from its SpawnRequested on. */
export function spawnEvents(events: EventEnvelope[], spawnId?: string): EventEnvelope[] {
  const id = spawnId ?? [...events].reverse().find((e) => e.type === 'SpawnRequested')?.data;
  const wanted = typeof id === 'string' ? id : (id as any)?.spawnId;
  return events.filter((e) => (e.data as any)?.spawnId === wanted);
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));

/**
 * A spawn as an operator reads it: each event with its time, the time since the previous
 * one, the phase it moved the server to, and what it means; then the outcome and diagnosis.
 */
export function explainSpawn(events: EventEnvelope[]): string {
  if (!events.length) return 'no such spawn\n';
  const lines: string[] = [];
  let state = initialServerState();
  let previous: number | undefined;
  const first = Date.parse(events[0].recordedAt);
  const server = events[0].streamId;
  lines.push(`spawn ${(events[0].data as any).spawnId} of ${server.replace(/^server-/, '')}`);
  for (const e of events) {
    // Events of the spawn's side streams (a stray job removed, the launcher's token) leave the server's state alone.
    const own = e.streamId === server;
    if (own) state = evolve(state, e);
    const at = Date.parse(e.recordedAt);
    const since = previous === undefined ? '' : `+${((at - previous) / 1000).toFixed(3)}s`;
    previous = at;
    const d = e.data as any;
    const detail =
      stageMessage(e) ??
      (d.reason
        ? `reason: ${d.reason}`
        : d.error
          ? `error: ${d.error}`
          : d.diagnosis
            ? `${d.diagnosis}: ${d.message}`
            : '');
    lines.push(
      `${e.recordedAt.slice(11, 23)}  ${pad(since, 10)} ${pad(own ? `#${e.streamVersion}` : '', 6)} ${pad(e.type, 22)} ${pad(own ? state.phase : `(${streamCategory(e.streamId)})`, 14)} ${detail}`,
    );
  }
  const total = ((previous! - first) / 1000).toFixed(3);
  lines.push(`phase ${state.phase} after ${total}s`);
  if (state.failure) {
    lines.push(`failed at stage ${state.failure.stage}: ${state.failure.diagnosis}`);
    lines.push(`  user saw: ${state.failure.userMessage}`);
    if (state.failure.detail) lines.push(`  detail: ${state.failure.detail}`);
    if (state.failure.stderrTail) lines.push(`  stderr tail:\n${state.failure.stderrTail.replace(/^/gm, '    ')}`);
  }
  return lines.join('\n') + '\n';
}
