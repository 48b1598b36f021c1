import type { Diagnosis, FailureStage } from '@condorhub/contracts';

// What a user should read, and do, for each classified failure.
const advice: Record<Diagnosis, string> = {
  'submit-rejected': 'HTCondor refused the job. Check the resource options, or ask your site admins.',
  'never-scheduled':
    'No worker node took the job in time. The cluster may be full: try again later or ask for fewer resources.',
  'removed-by-condor': 'HTCondor removed the job.',
  'held-by-condor': 'HTCondor put the job on hold.',
  'job-exited': 'The job ended before the notebook was ready.',
  'node-unresponsive': 'The worker node did not start your notebook in time; it is being checked.',
  'home-over-quota': 'Your home directory is full or over quota: free some space, then try again.',
  'home-not-writable': 'Your home directory is not writable on the worker node: check its permissions, then try again.',
  'runtime-dir-not-writable':
    "Jupyter's runtime directory is not writable: check ~/.local/share/jupyter, then try again.",
  'bad-user-config': 'Your Jupyter configuration stops the notebook from starting: check ~/.jupyter, then try again.',
  'user-jupyter-config':
    "Settings in ~/.jupyter must not choose the notebook's address, port, URL path, certificate or password: the hub sets those.",
  'port-bind-failure': 'The notebook could not open its port. Try again; it will pick another.',
  'module-missing':
    'A Python module the notebook needs is missing on the node (or shadowed by ~/.local): check your environment.',
  'notebook-exited': 'The notebook exited right after it started. See the log below.',
  'handshake-failed': 'The notebook started but did not answer the hub.',
  'route-failed': 'Your notebook is no longer reachable through the proxy. Start it again.',
  'condor-unreachable': 'HTCondor did not answer. Try again in a minute.',
  'api-token-taken':
    "Another process on the worker node used your notebook's one-time start credential, so it was stopped. Start it again, and tell your site admins.",
  unknown: 'Something went wrong.',
};

export function userMessage(diagnosis: Diagnosis, specific?: string): string {
  return specific ? `${specific}. ${advice[diagnosis]}` : advice[diagnosis];
}

export interface FailureDescription {
  stage: FailureStage;
  diagnosis: Diagnosis;
  userMessage: string;
  detail?: string;
  stderrTail?: string;
}
