import { NO_APPEND_MARK } from '../no-append';

/**
 * SQL for the read horizon of the statement it appears in: every event with a smaller
 * transaction id is committed and visible, or will never exist. It is the oldest transaction
 * still in flight in this statement's snapshot, except those that cannot insert events here:
 * transactions of other databases and of sessions marked no-append (a projector's batch).
 * Plain `pg_snapshot_xmin` would let any long write transaction in the cluster stall readers.
 *
 * The snapshot and pg_stat_activity are read in one statement; a transaction is ignored only
 * when positively identified (an xid that ended meanwhile is not, which only costs a wait).
 * pg_stat_activity shows xids as 32-bit `xid`, hence the modulo.
 */
export const READ_HORIZON_SQL = `(
  SELECT COALESCE(
    (SELECT min(x) FROM pg_snapshot_xip(pg_current_snapshot()) AS x
      WHERE (x::text::bigint % 4294967296) NOT IN (
        SELECT a.backend_xid::text::bigint FROM pg_stat_activity a
         WHERE a.backend_xid IS NOT NULL
           AND ((a.datname IS NOT NULL AND a.datname <> current_database())
                OR a.application_name LIKE '%${NO_APPEND_MARK}'))),
    pg_snapshot_xmax(pg_current_snapshot())))`;
