import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Desired proxy routes: the proxy converges to this table. */
@Entity({ name: 'routes' })
export class RouteRow {
  @PrimaryColumn({ name: 'route_spec', type: 'text' }) routeSpec!: string;
  @Column({ name: 'spawn_id', type: 'uuid' }) spawnId!: string;
  @Column({ type: 'text' }) target!: string;
  @Column({ type: 'text' }) owner!: string;
  @Column({ name: 'server_name', type: 'text' }) serverName!: string;
  /** requested → added (the proxy confirmed it). */
  @Column({ type: 'text' }) state!: string;
  /** Global position of the RouteRequested event: newer spawns win. */
  @Column({ name: 'requested_position', type: 'bigint' }) requestedPosition!: string;
  @Column({ name: 'requested_at', type: 'timestamptz' }) requestedAt!: Date;
}
