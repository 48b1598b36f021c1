import { newEvent, nodeStreamId } from '@condorhub/contracts';
import { type Sql, appendToStream, readStream } from '@condorhub/event-store';
import { foldNode, shouldQuarantine } from './node-state';

/** Counts a failed spawn against a node and quarantines it past the threshold, in the caller's transaction. */
export async function recordStrike(
  tx: Sql,
  strike: { host: string; spawnId: string; reason: string },
  settings: { quarantineStrikes: number; quarantineWindowS: number },
): Promise<boolean> {
  const stream = nodeStreamId(strike.host);
  const before = await readStream(tx, stream);
  await appendToStream(tx, stream, [newEvent('NodeStrikeRecorded', strike)], { expectedVersion: before.length });
  const after = foldNode([
    ...before,
    { type: 'NodeStrikeRecorded', recordedAt: new Date().toISOString(), data: strike } as never,
  ]);
  if (!shouldQuarantine(after, new Date(), settings.quarantineStrikes, settings.quarantineWindowS)) return false;
  const recent = after.strikes.length;
  await appendToStream(
    tx,
    stream,
    [
      newEvent('NodeQuarantined', {
        host: strike.host,
        strikes: recent,
        reason: `${recent} spawns got no port report within ${Math.round(settings.quarantineWindowS / 60)} min`,
      }),
    ],
    { expectedVersion: before.length + 1 },
  );
  return true;
}
