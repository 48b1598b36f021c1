import { z } from 'zod';

export const CommandReplySchema = z.discriminatedUnion('accepted', [
  z.object({ accepted: z.literal(true), result: z.record(z.string(), z.unknown()).default({}) }),
  z.object({ accepted: z.literal(false), code: z.string(), reason: z.string() }),
]);
export type CommandReply = z.infer<typeof CommandReplySchema>;

export const accepted = (result: Record<string, unknown> = {}): CommandReply => ({ accepted: true, result });
export const rejected = (code: string, reason: string): CommandReply => ({ accepted: false, code, reason });
