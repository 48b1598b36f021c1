import { CondorInvalidInputError } from '../errors';
import {
  assertAttributeName,
  classAdLiteral,
  machineExclusions,
  quoteArguments,
  quoteEnvironment,
  quotePlainValue,
} from './quote-submit-values';

/** What condorhub asks HTCondor to run for one spawn. */
export interface SubmitJobRequest {
  /** OS account that owns the job (the `{user}` of the command prefix). */
  owner: string;
  executable: string;
  arguments?: readonly string[];
  environment?: Readonly<Record<string, string>>;
  initialDir?: string;
  requestCpus?: number;
  requestMemoryMb?: number;
  /** Site requirements, a ClassAd expression, used as given. */
  requirements?: string;
  /** Quarantined nodes: each becomes `Machine =!= "<host>"`. */
  excludeMachines?: readonly string[];
  output?: string;
  error?: string;
  log?: string;
  batchName?: string;
  /** Becomes `+CondorhubSpawnId`, so a job can be found again after a lost submit reply. */
  spawnId?: string;
  /** More `+Attr = value` lines. */
  attributes?: Readonly<Record<string, string | number | boolean>>;
  /** Extra `{{name}}` values for a site template (plain, macro-escaped). */
  templateVars?: Readonly<Record<string, string>>;
}

/**
 * Built-in template. `{{name}}` placeholders; a `key = {{name}}` line whose value renders empty
 * is dropped, so optional settings stay HTCondor's defaults.
 */
export const DEFAULT_SUBMIT_TEMPLATE = `# condorhub spawn {{spawn_id}}
universe = vanilla
executable = {{executable}}
arguments = {{arguments}}
environment = {{environment}}
initialdir = {{initialdir}}
request_cpus = {{request_cpus}}
request_memory = {{request_memory}}
requirements = {{requirements}}
output = {{output}}
error = {{error}}
log = {{log}}
batch_name = {{batch_name}}
{{custom_attributes}}
queue 1
`;

const PLACEHOLDER = /\{\{\s*([a-z_][a-z0-9_.]*)\s*\}\}/gi;

function positiveInt(what: string, v: number | undefined): string {
  if (v === undefined) return '';
  if (!Number.isInteger(v) || v <= 0) throw new CondorInvalidInputError(`${what} must be a positive integer, got ${v}`);
  return String(v);
}

/** The placeholder values, each already quoted for its place in a submit description. */
export function submitTemplateValues(req: SubmitJobRequest, instance: string): Record<string, string> {
  if (!req.executable) throw new CondorInvalidInputError('executable is required');
  const requirementParts: string[] = [];
  if (req.requirements !== undefined && req.requirements.trim() !== '') {
    requirementParts.push(`(${quotePlainValue('requirements', req.requirements.trim())})`);
  }
  const exclusions = machineExclusions(req.excludeMachines ?? []);
  if (exclusions) requirementParts.push(exclusions);

  const attrs: Record<string, string | number | boolean> = { CondorhubInstance: instance };
  if (req.spawnId !== undefined) attrs.CondorhubSpawnId = req.spawnId;
  Object.assign(attrs, req.attributes ?? {});
  const attrLines = Object.entries(attrs).map(([name, value]) => {
    assertAttributeName(name);
    return `+${name} = ${classAdLiteral(`attribute ${name}`, value)}`;
  });

  const values: Record<string, string> = {
    user: quotePlainValue('owner', req.owner),
    spawn_id: req.spawnId === undefined ? '' : quotePlainValue('spawnId', req.spawnId),
    executable: quotePlainValue('executable', req.executable),
    arguments: req.arguments && req.arguments.length ? quoteArguments(req.arguments) : '',
    environment: req.environment && Object.keys(req.environment).length ? quoteEnvironment(req.environment) : '',
    initialdir: req.initialDir === undefined ? '' : quotePlainValue('initialDir', req.initialDir),
    request_cpus: positiveInt('requestCpus', req.requestCpus),
    request_memory: positiveInt('requestMemoryMb', req.requestMemoryMb),
    requirements: requirementParts.join(' && '),
    output: req.output === undefined ? '' : quotePlainValue('output', req.output),
    error: req.error === undefined ? '' : quotePlainValue('error', req.error),
    log: req.log === undefined ? '' : quotePlainValue('log', req.log),
    batch_name: req.batchName === undefined ? '' : quotePlainValue('batchName', req.batchName),
    custom_attributes: attrLines.join('\n'),
  };
  for (const [k, v] of Object.entries(req.templateVars ?? {})) {
    if (k in values) throw new CondorInvalidInputError(`template variable ${k} would shadow a built-in one`);
    values[k] = v === '' ? '' : quotePlainValue(`template variable ${k}`, v);
  }
  return values;
}

/** Renders the site template (or the built-in one) for one job; throws CondorInvalidInputError. */
export function renderSubmitDescription(
  req: SubmitJobRequest,
  options: { template?: string; instance?: string } = {},
): string {
  const template = options.template ?? DEFAULT_SUBMIT_TEMPLATE;
  // Without the CondorhubInstance tag the job would be invisible to query() and look "gone".
  if (!/\{\{\s*custom_attributes\s*\}\}/i.test(template)) {
    throw new CondorInvalidInputError(
      'the submit template must contain {{custom_attributes}} (it carries the CondorhubInstance tag)',
    );
  }
  const values = submitTemplateValues(req, options.instance ?? 'condorhub');
  const lines: string[] = [];
  for (const line of template.split('\n')) {
    let onlyEmpty = false;
    const solo = /^\s*[+A-Za-z_][A-Za-z0-9_.]*\s*=\s*\{\{\s*([a-z_][a-z0-9_.]*)\s*\}\}\s*$/i.exec(line);
    const rendered = line.replace(PLACEHOLDER, (_m, name: string) => {
      const key = name.toLowerCase();
      if (!(key in values)) throw new CondorInvalidInputError(`unknown placeholder {{${name}}} in the submit template`);
      return values[key];
    });
    if (solo && values[solo[1].toLowerCase()] === '') onlyEmpty = true;
    if (!onlyEmpty) lines.push(rendered);
  }
  const text = lines.join('\n');
  if (!/^\s*queue\b/im.test(text)) throw new CondorInvalidInputError('the submit template has no "queue" line');
  return text.endsWith('\n') ? text : `${text}\n`;
}
