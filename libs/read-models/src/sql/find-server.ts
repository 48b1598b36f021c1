import type { DataSource } from 'typeorm';
import { ServerRow } from '../entities/server.entity';

/** One named server's projected row, or null. */
export function findServer(ds: DataSource, user: string, serverName: string): Promise<ServerRow | null> {
  return ds.getRepository(ServerRow).findOne({ where: { userName: user, serverName } });
}
