import { Column, Entity, PrimaryColumn } from 'typeorm';

export interface NodeStrike {
  spawnId: string;
  reason: string;
  at: string;
}

/** Worker node health: strikes and quarantine. */
@Entity({ name: 'nodes' })
export class NodeRow {
  @PrimaryColumn({ type: 'text' }) host!: string;
  @Column({ type: 'text' }) state!: string;
  @Column({ type: 'jsonb' }) strikes!: NodeStrike[];
  @Column({ name: 'quarantined_at', type: 'timestamptz', nullable: true }) quarantinedAt!: Date | null;
  @Column({ name: 'quarantine_reason', type: 'text', nullable: true }) quarantineReason!: string | null;
  @Column({ name: 'released_at', type: 'timestamptz', nullable: true }) releasedAt!: Date | null;
  @Column({ name: 'released_by', type: 'text', nullable: true }) releasedBy!: string | null;
  @Column({ name: 'spawns_started', type: 'int' }) spawnsStarted!: number;
  @Column({ name: 'last_seen_at', type: 'timestamptz', nullable: true }) lastSeenAt!: Date | null;
}
