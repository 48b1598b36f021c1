import type { DataSource } from 'typeorm';
import { ServerRow } from '../entities/server.entity';

/** The projected servers of one user, or of everyone. */
export function listServers(ds: DataSource, filter: { user?: string } = {}): Promise<ServerRow[]> {
  return ds.getRepository(ServerRow).find(filter.user === undefined ? {} : { where: { userName: filter.user } });
}
