import type { NewEvent } from '@condorhub/contracts';
import type { LifecycleSettings } from './react';

/** A durable timer a decision arms: `event` is appended to the stream `dueInS` from now. */
export interface TimerSpec {
  key: string;
  dueInS: number;
  event: NewEvent;
}

export const timerKeys = (spawnId: string) => ({
  idle: `idle:${spawnId}`,
  port: `port:${spawnId}`,
  handshake: `handshake:${spawnId}`,
  submit: `submit:${spawnId}`,
  route: `route:${spawnId}`,
  stop: (attempt: number) => `stop:${spawnId}:${attempt}`,
});

/** Every timer of a spawn: what a stopped server must not leave behind. */
export function allTimerKeys(spawnId: string, settings: Pick<LifecycleSettings, 'stopAttempts'>): string[] {
  const keys = timerKeys(spawnId);
  const stops = Array.from({ length: settings.stopAttempts }, (_, i) => keys.stop(i + 1));
  return [keys.idle, keys.port, keys.handshake, keys.submit, keys.route, ...stops];
}
