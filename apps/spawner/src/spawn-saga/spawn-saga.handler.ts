import type { Pool } from 'pg';
import { type CondorClient } from '@condorhub/condor';
import { type EventEnvelope, type NewEvent, parseServerStreamId } from '@condorhub/contracts';
import {
  type TimerScheduler,
  type TransactionDecision,
  cancelScheduledMessage,
  decideAndAppendInTransaction,
  lockStreamAt,
  markProcessed,
  readStream,
  scheduleMessage,
  wasProcessed,
} from '@condorhub/event-store';
import { type Reaction, type ServerState, foldServer, react } from '@condorhub/server-lifecycle';
import { revokeSpawnTokens } from '@condorhub/tokens';
import { recordStrike } from '../quarantine/record-strike';
import { removeJob } from '../removal/remove-job';
import { recordSpawnMetrics } from '../spawn-metrics/record-spawn-metrics';
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

    const state = foldServer(stream);
    const reaction = react(state, event, this.settings.lifecycle);
    // The condor call happens once; its outcome is recorded whatever else changes meanwhile.
    const outcome: NewEvent[] = [];
    if (reaction.submit) {
      outcome.push(await submitSpawn(this.pool, this.condor, this.settings, state));
    }
    if (reaction.removeJob) {
      const server = { state, stream };
      outcome.push(...(await removeJob(this.pool, this.condor, this.settings, server, event, reaction.removeJob)));
    }
    let armed = false;
    await decideAndAppendInTransaction(
      this.pool,
      event.streamId,
      (current, fresh: boolean, retry) => {
        if (!fresh) return { events: [], result: undefined };
        if (!retry) {
          armed = reaction.arm.length > 0;
          return this.decision(event, state, reaction, outcome);
        }
        // The poller or port-registry appended meanwhile: decide again on the new state, without
        // calling condor again. A stop that finished meanwhile (its deadline, say, while condor_rm
        // hung) is not stored twice.
        const latest = foldServer(current);
        const again = { ...react(latest, event, this.settings.lifecycle), submit: false, removeJob: undefined };
        armed = again.arm.length > 0;
        const stillStopping = latest.phase === 'stopping';
        return this.decision(
          event,
          latest,
          again,
          outcome.filter((e) => e.type !== 'ServerStopped' || stillStopping),
        );
      },
      // The stream as read above, before the condor call; the inbox row commits with the effects.
      { known: stream, attempts: 5, prepare: (tx) => markProcessed(tx, SPAWNER_CONSUMER, event.eventId) },
    );
    if (armed) this.timers?.poke();
  }

  /** What the saga stores for `event`: the reaction's events and the condor call's, with their effects. */
  private decision(
    event: EventEnvelope,
    state: ServerState,
    r: Reaction,
    outcome: NewEvent[],
  ): TransactionDecision<undefined> {
    const meta = {
      correlationId: state.spawnId ?? (event.data as any).spawnId,
      causationId: event.eventId,
      actor: 'spawner',
    };
    const toAppend = [...r.append, ...outcome];
    return {
      // Expected version: the state decided on. A concurrent change rolls all of this back.
      events: toAppend,
      metadata: meta,
      before: async (tx) => {
        // Timers decided on this state must not outlive it: hold the stream at that version first
        // (a port registry recording an answer meanwhile either came first and is seen, or waits
        // and then cancels what we armed). Stream before timer rows, as every writer here.
        if (r.arm.length || r.cancel.length) await lockStreamAt(tx, event.streamId, state.streamVersion);
        for (const key of r.cancel) await cancelScheduledMessage(tx, key);
        for (const t of r.arm) {
          await scheduleMessage(tx, t.key, event.streamId, t.event, new Date(Date.now() + t.dueInS * 1000), meta);
        }
      },
      after: async (tx) => {
        if (r.strike && state.spawnId) {
          const quarantined = await recordStrike(tx, { ...r.strike, spawnId: state.spawnId }, this.settings);
          if (quarantined) this.log(`node ${r.strike.host} quarantined`);
        }
        // Revoked in the transaction that records the stop, so no reader sees a stopped server whose
        // token still works; a ServerStopped recorded elsewhere revokes when it arrives here.
        for (const stopped of [event, ...toAppend].filter((e) => e.type === 'ServerStopped'))
          await revokeSpawnTokens(tx, (stopped.data as any).spawnId);
        recordSpawnMetrics(state, event);
      },
      result: undefined,
    };
  }
}
