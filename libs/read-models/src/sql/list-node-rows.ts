import type { DataSource } from 'typeorm';
import { NodeRow } from '../entities/node.entity';

/** Every worker node seen, by host name, as the whole row (the hub's operator view). */
export function listNodeRows(ds: DataSource): Promise<NodeRow[]> {
  return ds.getRepository(NodeRow).find({ order: { host: 'ASC' } });
}
