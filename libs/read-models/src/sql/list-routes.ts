import type { DataSource } from 'typeorm';
import { RouteRow } from '../entities/route.entity';

/** Every projected route, by route spec. */
export function listRoutes(ds: DataSource): Promise<RouteRow[]> {
  return ds.getRepository(RouteRow).find({ order: { routeSpec: 'ASC' } });
}
