import { nodeStreamId } from '@condorhub/contracts';
import { type Sql, WrongExpectedVersionError, decideAndAppend } from '@condorhub/event-store';
import { type NodeStrike, type QuarantineSettings, decideStrike } from '@condorhub/server-lifecycle';

/**
 * Counts a failed spawn against a node and quarantines it past the threshold, in the caller's
 * transaction. True when this strike quarantined the node. A node stream that moved meanwhile
 * throws a write conflict: the caller's transaction is aborted and is retried whole.
 */
export async function recordStrike(
  tx: Sql,
  strike: NodeStrike & { spawnId: string },
  settings: QuarantineSettings,
  now: Date = new Date(),
): Promise<boolean> {
  const stream = nodeStreamId(strike.host);
  let quarantined = false;
  let decidedAt = 0;
  const outcome = await decideAndAppend(
    tx,
    stream,
    (node) => {
      decidedAt = node.length ? node[node.length - 1].streamVersion : 0;
      const events = decideStrike(node, strike, now, settings);
      quarantined = events.some((e) => e.type === 'NodeQuarantined');
      return { events };
    },
    { attempts: 1 },
  );
  // The transaction is aborted: the node's version now is not to be read in it (-1: unknown).
  if (outcome === 'conflict') throw new WrongExpectedVersionError(stream, decidedAt, -1);
  return quarantined;
}
