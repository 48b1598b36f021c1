import type { EventEnvelope } from '@condorhub/contracts';

/** What the `launcher-<spawnId>` stream says about a spawn's launcher credential. */
export interface LauncherCredential {
  streamVersion: number;
  bootstrap?: { hash: string; expiresAt: string; user: string; serverName: string };
  /** `position`: the event's global position, to tell whether the job ran again since. */
  issued?: { tokenId: string; launcherKeyHash: string; position: bigint };
  refusals: number;
}

export function foldLauncherCredential(events: readonly EventEnvelope[]): LauncherCredential {
  const c: LauncherCredential = { streamVersion: 0, refusals: 0 };
  for (const e of events) {
    c.streamVersion = e.streamVersion;
    if (e.type === 'LauncherBootstrapIssued') {
      const d = e.data as { bootstrapHash: string; expiresAt: string; user: string; serverName: string };
      // A resubmit of the spawn issues a new credential: only the latest counts.
      c.bootstrap = { hash: d.bootstrapHash, expiresAt: d.expiresAt, user: d.user, serverName: d.serverName };
      c.issued = undefined;
    } else if (e.type === 'ApiTokenIssued') {
      const d = e.data as { tokenId: string; launcherKeyHash: string };
      c.issued = { tokenId: d.tokenId, launcherKeyHash: d.launcherKeyHash, position: BigInt(e.globalPosition) };
    } else if (e.type === 'ApiTokenExchangeRefused') {
      c.refusals++;
    }
  }
  return c;
}
