import { CondorInvalidInputError } from './errors';

/** HTCondor job id `Cluster.Proc`: the only stable key (slot names are reused). */
export type JobId = `${number}.${number}`;

const JOB_ID = /^(\d{1,10})\.(\d{1,10})$/;

export function isJobId(value: string): value is JobId {
  return JOB_ID.test(value);
}

export function parseJobId(value: string): { clusterId: number; procId: number } {
  const m = JOB_ID.exec(value);
  if (!m) throw new CondorInvalidInputError(`not a job id (Cluster.Proc): ${JSON.stringify(value)}`);
  return { clusterId: Number(m[1]), procId: Number(m[2]) };
}

export function formatJobId(clusterId: number, procId: number): JobId {
  return `${clusterId}.${procId}` as JobId;
}
