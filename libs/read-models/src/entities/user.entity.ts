import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'users' })
export class UserRow {
  @PrimaryColumn({ type: 'text' }) name!: string;
  @Column({ type: 'boolean' }) admin!: boolean;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'last_activity', type: 'timestamptz', nullable: true }) lastActivity!: Date | null;
}
