import { z } from 'zod';
import { UserName } from '../names';

/** What an admin did on the admin page; `target` names what it was done to. */
export const AdminAction = z.enum([
  'users-added',
  'user-deleted',
  'server-force-removed',
  'dead-letters-replayed',
  'node-released',
]);
export type AdminAction = z.infer<typeof AdminAction>;

// The audit trail of the admin page (stream `admin-<name>`, one per admin so two admins never
// contend): one event per action that changed something, naming the admin. Domain events the
// action caused carry `by: 'admin:<name>'` too, so a server's timeline shows who did it.
export const adminEvents = {
  AdminActionRecorded: z.object({
    admin: UserName,
    action: AdminAction,
    target: z.string().min(1).max(2000),
    detail: z.string().max(2000).optional(),
  }),
} as const;
