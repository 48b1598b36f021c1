import type { DataSource } from 'typeorm';
import { UserRow } from '../entities/user.entity';

/** One user's projected row, or null: users created on their stream or known from a spawn. */
export function findUser(ds: DataSource, name: string): Promise<UserRow | null> {
  return ds.getRepository(UserRow).findOne({ where: { name } });
}
