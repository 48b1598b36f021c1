import type { DataSource } from 'typeorm';
import { NodeRow } from '../entities/node.entity';

/** Every worker node seen, by host name. */
export function listNodes(ds: DataSource): Promise<NodeRow[]> {
  return ds.getRepository(NodeRow).find({ order: { host: 'ASC' } });
}
