import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One row per spawn: outcome, stage and cause, for failure statistics and history. */
@Entity({ name: 'spawn_attempts' })
export class SpawnAttemptRow {
  @PrimaryColumn({ name: 'spawn_id', type: 'uuid' }) spawnId!: string;
  @Column({ name: 'user_name', type: 'text' }) userName!: string;
  @Column({ name: 'server_name', type: 'text' }) serverName!: string;
  @Column({ name: 'job_id', type: 'text', nullable: true }) jobId!: string | null;
  @Column({ type: 'text', nullable: true }) host!: string | null;
  @Column({ type: 'text' }) outcome!: string;
  @Column({ type: 'text', nullable: true }) stage!: string | null;
  @Column({ type: 'text', nullable: true }) diagnosis!: string | null;
  @Column({ name: 'user_message', type: 'text', nullable: true }) userMessage!: string | null;
  @Column({ name: 'requested_at', type: 'timestamptz' }) requestedAt!: Date;
  @Column({ name: 'ready_at', type: 'timestamptz', nullable: true }) readyAt!: Date | null;
  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true }) endedAt!: Date | null;
  @Column({ name: 'retry_of', type: 'uuid', nullable: true }) retryOf!: string | null;
}
