import { z } from 'zod';
import { GroupName, UserName } from '../names';

// Groups, one stream each (`group-<name>`): the hub folds the stream when it reads a group,
// so no read model has to be rebuilt for them. Membership events carry only the users they
// change; adding a member twice or removing a non-member changes nothing when folded.
export const groupEvents = {
  GroupCreated: z.object({ name: GroupName, users: z.array(UserName), by: z.string().min(1) }),
  GroupMembersAdded: z.object({ name: GroupName, users: z.array(UserName).min(1), by: z.string().min(1) }),
  GroupMembersRemoved: z.object({ name: GroupName, users: z.array(UserName).min(1), by: z.string().min(1) }),
  GroupDeleted: z.object({ name: GroupName, by: z.string().min(1) }),
} as const;
