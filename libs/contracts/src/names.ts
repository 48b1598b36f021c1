import { z } from 'zod';

// JupyterHub user names are lower-cased URL path segments; '/' can never appear, which is
// why it separates user and server in stream ids.
export const UserName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._@+-]{0,63}$/, 'user name: 1-64 of a-z 0-9 . _ @ + -, starting with a letter or digit');
// '' is the default server, as in JupyterHub.
export const ServerName = z
  .string()
  .regex(/^([A-Za-z0-9][A-Za-z0-9._-]{0,63})?$/, 'server name: empty or 1-64 of A-Z a-z 0-9 . _ -');
// Group names are path segments too (/hub/api/groups/<name>).
export const GroupName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/,
    'group name: 1-64 of A-Z a-z 0-9 . _ @ + -, starting with a letter or digit',
  );
export const SpawnId = z.uuid();
export const JobId = z.string().regex(/^\d+\.\d+$/, 'job id: Cluster.Proc');
export const Host = z.string().min(1).max(255);
export const Port = z.number().int().min(1).max(65535);

/** One stream per named server, across all its spawns. */
export function serverStreamId(user: string, serverName: string): string {
  return `server-${user}/${serverName}`;
}
export function parseServerStreamId(streamId: string): { user: string; serverName: string } | undefined {
  const m = /^server-([^/]+)\/(.*)$/.exec(streamId);
  return m ? { user: m[1], serverName: m[2] } : undefined;
}
export const nodeStreamId = (host: string) => `node-${host}`;
export const removalStreamId = (spawnId: string) => `removal-${spawnId}`;
export const launcherStreamId = (spawnId: string) => `launcher-${spawnId}`;
export const userStreamId = (user: string) => `user-${user}`;
export const groupStreamId = (group: string) => `group-${group}`;
/** The audit trail of one admin's actions on the admin page. */
export const adminStreamId = (admin: string) => `admin-${admin}`;
/**
 * Streams beside the server's own that belong to one spawn's story (a stray job removed; how its
 * launcher got the API token): explain, replay and the timeline merge them in log order.
 */
export const spawnSideStreamIds = (spawnId: string) => [removalStreamId(spawnId), launcherStreamId(spawnId)];

/** The category is the stream id up to its first '-': it names the NATS subject. */
export function streamCategory(streamId: string): string {
  const dash = streamId.indexOf('-');
  return dash > 0 ? streamId.slice(0, dash) : streamId;
}

/** The URL prefix of a server, as JupyterHub builds it. */
export function serverPrefix(user: string, serverName: string): string {
  return serverName ? `/user/${user}/${serverName}/` : `/user/${user}/`;
}
