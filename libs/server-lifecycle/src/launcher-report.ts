import { type EventData, type NewEvent, newEvent } from '@condorhub/contracts';
import type { ServerState } from './server-state';

/**
 * A launcher's report of a preflight failure or early exit is recorded while its spawn is the
 * server's current one and not stopped; after that it is a stale token's (undefined).
 */
export function decideLauncherReport(
  state: ServerState,
  report: EventData<'LauncherReported'>,
): NewEvent[] | undefined {
  if (state.spawnId !== report.spawnId || state.phase === 'stopped') return undefined;
  return [newEvent('LauncherReported', report)];
}
