import { z } from 'zod';
import { UserName } from '../names';

export const userEvents = {
  UserCreated: z.object({ name: UserName, admin: z.boolean(), by: z.string().min(1) }),
  UserDeleted: z.object({ name: UserName, by: z.string().min(1) }),
  // PATCH /hub/api/users/<name> {admin}: the new flag, whoever set it.
  UserAdminChanged: z.object({ name: UserName, admin: z.boolean(), by: z.string().min(1) }),
} as const;
