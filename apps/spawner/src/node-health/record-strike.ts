import { newEvent, nodeStreamId } from '@condorhub/contracts';
import { type Sql, appendToStream, readStream } from '@condorhub/event-store';
import { type NodeStrike, type QuarantineSettings, foldNode, quarantineReason } from '@condorhub/server-lifecycle';

/** Counts a failed spawn against a node and quarantines it past the threshold, in the caller's transaction. */
export async function recordStrike(
  tx: Sql,
  strike: NodeStrike & { spawnId: string },
  settings: QuarantineSettings,
): Promise<boolean> {
  const stream = nodeStreamId(strike.host);
  const before = await readStream(tx, stream);
  const recorded = newEvent('NodeStrikeRecorded', strike);
  await appendToStream(tx, stream, [recorded], { expectedVersion: before.length });
  const now = new Date();
  const reason = quarantineReason(
    foldNode([...before, { type: recorded.type, recordedAt: now.toISOString(), data: recorded.data }]),
    now,
    settings,
  );
  if (!reason) return false;
  const strikes = foldNode(before).strikes.length + 1;
  await appendToStream(tx, stream, [newEvent('NodeQuarantined', { host: strike.host, strikes, reason })], {
    expectedVersion: before.length + 1,
  });
  return true;
}
