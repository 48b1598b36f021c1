import type { Pool, PoolClient } from 'pg';
import { type CondorClient } from '@condorhub/condor';
import { type EventEnvelope, type NewEvent, parseServerStreamId } from '@condorhub/contracts';
import {
  type TimerScheduler,
  isWriteConflict,
  appendToStream,
  cancelScheduledMessage,
  lockStreamAt,
  markProcessed,
  readStream,
  scheduleMessage,
  wasProcessed,
  withTransaction,
} from '@condorhub/event-store';
import { type Reaction, type ServerState, foldServer, react } from '@condorhub/server-lifecycle';
import { revokeSpawnTokens } from '@condorhub/tokens';
import { recordStrike } from '../quarantine/record-strike';
import { removeJob } from '../removal/remove-job';
import { recordSpawnMetrics } from '../spawn-metrics/record-spawn-metrics';
import { loadServerStream } from '../server-stream';
import type { SpawnerSettings } from '../spawner.settings';
import { submitSpawn } from '../submit/submit-spawn';

/** The inbox and saga lane's name (kept as the original durable, so upgrades resume in place). */
export const SPAWNER_CONSUMER = 'spawner';
/** The lane for events that call condor. */
export const SPAWNER_CONDOR_CONSUMER = 'spawner-condor';

/**
 * The spawn and removal sagas: for each server event, fold the stream, ask the pure `react`
 * what follows, and do it. Database effects (appends, timers, inbox) commit in one
 * transaction with an expected-version check; condor calls happen between a read and that
 * transaction, and are themselves safe to repeat (submit looks itself up, rm of a gone job is done).
 */
export class SpawnSagaHandler {
  constructor(
    private readonly pool: Pool,
    private readonly condor: CondorClient,
    private readonly settings: SpawnerSettings,
    private readonly timers?: TimerScheduler,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  async handle(event: EventEnvelope): Promise<void> {
    if (!parseServerStreamId(event.streamId)) return;
    // Both reads at once: one round trip less per event on the spawn's critical path.
    const [seen, stream] = await Promise.all([
      wasProcessed(this.pool, SPAWNER_CONSUMER, event.eventId),
      readStream(this.pool, event.streamId),
    ]);
    if (seen) return;

    let state = foldServer(stream);
    let reaction = react(state, event, this.settings.lifecycle);
    // The condor call happens once; its outcome is recorded whatever else changes meanwhile.
    let outcome: NewEvent[] = [];
    if (reaction.submit) {
      outcome.push(await submitSpawn(this.pool, this.condor, this.settings, state));
    }
    if (reaction.removeJob) {
      const server = { state, stream };
      outcome.push(...(await removeJob(this.pool, this.condor, this.settings, server, event, reaction.removeJob)));
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await withTransaction(this.pool, async (tx) => {
          if (!(await markProcessed(tx, SPAWNER_CONSUMER, event.eventId))) return;
          await this.apply(tx, event, state, reaction, outcome);
        });
        break;
      } catch (error) {
        // The poller or port-registry appended meanwhile: decide again on the new state.
        if (!isWriteConflict(error) || attempt >= 5) throw error;
        state = await loadServerStream(this.pool, event.streamId);
        reaction = { ...react(state, event, this.settings.lifecycle), submit: false, removeJob: undefined };
        // A stop that finished meanwhile (its deadline, say, while condor_rm hung) is not stored twice.
        const stillStopping = state.phase === 'stopping';
        outcome = outcome.filter((e) => e.type !== 'ServerStopped' || stillStopping);
      }
    }
    if (reaction.arm.length) this.timers?.poke();
  }

  private async apply(tx: PoolClient, event: EventEnvelope, state: ServerState, r: Reaction, outcome: NewEvent[]) {
    const meta = {
      correlationId: state.spawnId ?? (event.data as any).spawnId,
      causationId: event.eventId,
      actor: 'spawner',
    };
    const toAppend = [...r.append, ...outcome];
    // Timers decided on this state must not outlive it: hold the stream at that version first
    // (a port registry recording an answer meanwhile either came first and is seen, or waits
    // and then cancels what we armed). Stream before timer rows, as every writer here.
    if (r.arm.length || r.cancel.length) await lockStreamAt(tx, event.streamId, state.streamVersion);
    for (const key of r.cancel) await cancelScheduledMessage(tx, key);
    for (const t of r.arm) {
      await scheduleMessage(tx, t.key, event.streamId, t.event, new Date(Date.now() + t.dueInS * 1000), meta);
    }
    if (toAppend.length) {
      // Expected version: the state we decided on. A concurrent change rolls this back and the
      // event is redelivered, to be decided again on the new state.
      await appendToStream(tx, event.streamId, toAppend, { expectedVersion: state.streamVersion, metadata: meta });
    }
    if (r.strike && state.spawnId) {
      const quarantined = await recordStrike(tx, { ...r.strike, spawnId: state.spawnId }, this.settings);
      if (quarantined) this.log(`node ${r.strike.host} quarantined`);
    }
    // Revoked in the transaction that records the stop, so no reader sees a stopped server whose
    // token still works; a ServerStopped recorded elsewhere revokes when it arrives here.
    for (const stopped of [event, ...toAppend].filter((e) => e.type === 'ServerStopped'))
      await revokeSpawnTokens(tx, (stopped.data as any).spawnId);
    recordSpawnMetrics(state, event);
  }
}
