import type { DataSource } from 'typeorm';
import { UserRow } from '../entities/user.entity';

/** Every projected user. */
export function listUsers(ds: DataSource): Promise<UserRow[]> {
  return ds.getRepository(UserRow).find();
}
