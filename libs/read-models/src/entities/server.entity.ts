import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ServerState } from '@condorhub/server-lifecycle';

/** One row per named server: its current spawn, for the hub's API and pages. */
@Entity({ name: 'servers' })
export class ServerRow {
  @PrimaryColumn({ name: 'user_name', type: 'text' }) userName!: string;
  @PrimaryColumn({ name: 'server_name', type: 'text' }) serverName!: string;
  @Column({ name: 'stream_id', type: 'text' }) streamId!: string;
  @Column({ name: 'stream_version', type: 'bigint' }) streamVersion!: string;
  @Column({ name: 'spawn_id', type: 'uuid', nullable: true }) spawnId!: string | null;
  @Column({ type: 'text' }) phase!: string;
  @Column({ name: 'job_id', type: 'text', nullable: true }) jobId!: string | null;
  @Column({ type: 'text', nullable: true }) host!: string | null;
  @Column({ type: 'text', nullable: true }) slot!: string | null;
  @Column({ type: 'int', nullable: true }) port!: number | null;
  @Column({ type: 'text', nullable: true }) target!: string | null;
  @Column({ type: 'text', nullable: true }) url!: string | null;
  @Column({ name: 'requested_at', type: 'timestamptz', nullable: true }) requestedAt!: Date | null;
  @Column({ name: 'ready_at', type: 'timestamptz', nullable: true }) readyAt!: Date | null;
  @Column({ name: 'stopped_at', type: 'timestamptz', nullable: true }) stoppedAt!: Date | null;
  /** The whole folded state (server-lifecycle's ServerState), so readers need no replay. */
  @Column({ type: 'jsonb' }) state!: ServerState;
}
