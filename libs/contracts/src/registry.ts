import type { z } from 'zod';
import { adminEvents } from './events/admin.events';
import { ContractError, parseWith } from './contract-error';
import { groupEvents } from './events/group.events';
import { launcherEvents } from './events/launcher.events';
import { nodeEvents } from './events/node.events';
import { removalEvents } from './events/removal.events';
import { serverEvents } from './events/server.events';
import { userEvents } from './events/user.events';

// The one place an event's shape is defined. Bump `schemaVersion` of a type when its payload
// changes incompatibly; readers see the version in every envelope.
const categories = {
  server: serverEvents,
  node: nodeEvents,
  removal: removalEvents,
  launcher: launcherEvents,
  user: userEvents,
  group: groupEvents,
  admin: adminEvents,
} as const;

type Categories = typeof categories;
type AllEvents = { [C in keyof Categories]: Categories[C] }[keyof Categories];
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type EventSchemas = UnionToIntersection<AllEvents>;

export type EventType = keyof EventSchemas & string;
export type EventData<T extends EventType> = EventSchemas[T] extends z.ZodType ? z.infer<EventSchemas[T]> : never;
export type EventCategory = keyof Categories;

export interface EventDefinition {
  type: EventType;
  category: EventCategory;
  schemaVersion: number;
  schema: z.ZodType;
}

export const eventRegistry: ReadonlyMap<string, EventDefinition> = new Map(
  (Object.entries(categories) as [EventCategory, Record<string, z.ZodType>][]).flatMap(([category, events]) =>
    Object.entries(events).map(
      ([type, schema]) => [type, { type: type as EventType, category, schemaVersion: 1, schema }] as const,
    ),
  ),
);

export function eventDefinition(type: string): EventDefinition {
  const def = eventRegistry.get(type);
  if (!def) throw new ContractError('event', [{ path: 'type', message: `unknown event type "${type}"` }]);
  return def;
}

/** Parses an event payload through its contract; throws ContractError naming the bad field. */
export function parseEventData<T extends EventType>(type: T, data: unknown): EventData<T> {
  return parseWith(eventDefinition(type).schema, data, `${type} event`) as EventData<T>;
}

/** An event about to be appended: a type and its payload. */
export type NewEvent = { [T in EventType]: { type: T; data: EventData<T> } }[EventType];
export type EventOf<T extends EventType> = Extract<NewEvent, { type: T }>;

export function newEvent<T extends EventType>(type: T, data: EventData<T>): EventOf<T> {
  return { type, data } as EventOf<T>;
}
