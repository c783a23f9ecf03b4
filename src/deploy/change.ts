import type { ContainerDefinition, KeyValuePair, RegisterTaskDefinitionCommandInput, TaskDefinition } from '@aws-sdk/client-ecs';
import { WizardError, inputError, type Problem } from '../errors.js';
import type { ReleaseKind } from '../engine/state.js';
import { imageReferenceProblem } from '../wizard/schema.js';

/**
 * What a deploy or rollback asks for, parsed and checked before any AWS call: the new revision is
 * the service's current one with exactly these changes (a rollback names a revision instead).
 */
export interface DeployRequest {
  kind: Exclude<ReleaseKind, 'create'>;
  image?: string;
  /** --env KEY=VALUE: variables to set. */
  set: Record<string, string>;
  /** --unset-env KEY: variables to remove. */
  unset: string[];
  /** --force: a new deployment even when the revision does not change (tasks pull the image again). */
  force: boolean;
  /** rollback: the revision of the family to go back to. */
  toRevision?: number;
}

export interface DeployFlags {
  image?: string;
  env?: string[];
  unsetEnv?: string[];
  force?: boolean;
}

/** The environment variable names the answers schema accepts (service.environment). */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses deploy's flags: every problem at once, each named by its flag (exit 2, no AWS call). No
 * change at all is a usage error: deploy never makes a deployment nobody asked for.
 */
export function parseDeployFlags(flags: DeployFlags): DeployRequest {
  const problems: Problem[] = [];
  if (flags.image !== undefined) {
    const problem = imageReferenceProblem(flags.image);
    if (problem) problems.push({ path: '--image', message: `"${flags.image}" ${problem}` });
  }
  const set: Record<string, string> = {};
  for (const pair of flags.env ?? []) {
    const eq = pair.indexOf('=');
    if (eq < 0) {
      problems.push({ path: '--env', message: `"${pair}" must be KEY=VALUE (an empty value is KEY=)` });
      continue;
    }
    const name = pair.slice(0, eq);
    if (!ENV_NAME.test(name)) problems.push({ path: '--env', message: `"${name}" is not a variable name: letters, digits and _, not starting with a digit` });
    else set[name] = pair.slice(eq + 1);
  }
  const unset: string[] = [];
  for (const name of flags.unsetEnv ?? []) {
    if (!ENV_NAME.test(name)) problems.push({ path: '--unset-env', message: `"${name}" is not a variable name: letters, digits and _, not starting with a digit` });
    else if (name in set) problems.push({ path: '--unset-env', message: `"${name}" is also set with --env: give it in one place only` });
    else if (!unset.includes(name)) unset.push(name);
  }
  if (problems.length) throw inputError(problems, 'options');
  const force = flags.force ?? false;
  if (flags.image === undefined && Object.keys(set).length === 0 && unset.length === 0 && !force) {
    throw new WizardError('USAGE', 'Nothing to deploy: give --image, --env, --unset-env or --force.', {
      problems: [{ path: '--image', message: 'or --env KEY=VALUE, --unset-env KEY, --force is required' }],
      hint: 'For example: ecs-wizard deploy shop-web --image nginx:1.27 (or --force to start new tasks on the same revision).',
    });
  }
  const changes = flags.image !== undefined || Object.keys(set).length > 0 || unset.length > 0;
  return { kind: changes ? 'deploy' : 'force', image: flags.image, set, unset, force };
}

/** --to REVISION: a whole number of at least 1 (exit 2 otherwise). */
export function parseRevision(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,9}$/.test(text.trim()) || Number(text) < 1) {
    throw inputError([{ path: '--to', message: `must be a revision number (1, 2, …), got "${text}"` }], 'options');
  }
  return Number(text);
}

/** Everything RegisterTaskDefinition takes that DescribeTaskDefinition gives back: the rest is AWS's own bookkeeping. */
const REGISTERABLE = [
  'family',
  'taskRoleArn',
  'executionRoleArn',
  'networkMode',
  'containerDefinitions',
  'volumes',
  'placementConstraints',
  'requiresCompatibilities',
  'cpu',
  'memory',
  'pidMode',
  'ipcMode',
  'proxyConfiguration',
  'inferenceAccelerators',
  'ephemeralStorage',
  'runtimePlatform',
  'enableFaultInjection',
] as const satisfies readonly (keyof RegisterTaskDefinitionCommandInput & keyof TaskDefinition)[];

/**
 * The RegisterTaskDefinition input that would make a copy of `td`, keeping every field, also
 * those ecs-wizard never sets (a task role, volumes, a sidecar someone added by hand).
 */
export function registerable(td: TaskDefinition): RegisterTaskDefinitionCommandInput {
  const input: Record<string, unknown> = {};
  for (const key of REGISTERABLE) if (td[key] !== undefined) input[key] = structuredClone(td[key]);
  return input as unknown as RegisterTaskDefinitionCommandInput;
}

/** The container a deploy changes: the stack's own (`app`), or the only one there is. */
export function appContainer(input: RegisterTaskDefinitionCommandInput, name: string): ContainerDefinition {
  const containers = input.containerDefinitions ?? [];
  const c = containers.find((x) => x.name === name) ?? (containers.length === 1 ? containers[0] : undefined);
  if (!c) {
    throw new WizardError('DRIFT', `The task definition ${input.family} has no container named "${name}" (it has ${containers.map((x) => x.name).join(', ') || 'none'}).`, {
      hint: 'Run `ecs-wizard create --answers FILE` to restore the stack\'s task definition, then deploy.',
    });
  }
  return c;
}

/**
 * The current definition with the asked changes applied, and the names of the variables that
 * really changed (set to a new value, added, or removed).
 */
export function applyChange(current: RegisterTaskDefinitionCommandInput, req: DeployRequest, containerName: string): { input: RegisterTaskDefinitionCommandInput; changed: string[] } {
  const input = structuredClone(current);
  const c = appContainer(input, containerName);
  if (req.image !== undefined) c.image = req.image;
  const env: KeyValuePair[] = [...(c.environment ?? [])];
  const changed: string[] = [];
  for (const name of req.unset) {
    if (env.some((e) => e.name === name)) changed.push(name);
  }
  const kept = env.filter((e) => !req.unset.includes(e.name ?? ''));
  for (const [name, value] of Object.entries(req.set)) {
    const i = kept.findIndex((e) => e.name === name);
    if (i < 0) kept.push({ name, value });
    else if (kept[i]!.value !== value) kept[i] = { name, value };
    else continue;
    changed.push(name);
  }
  if (changed.length || c.environment !== undefined) c.environment = kept.sort((a, b) => (a.name ?? '').localeCompare(b.name ?? ''));
  return { input, changed: changed.sort() };
}

/** A form of a definition that compares equal when ECS would run the same thing: keys sorted, empty lists and undefined dropped, variables by name. */
function canonical(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => canonical(v));
    if ((key === 'environment' || key === 'secrets') && items.every((i) => typeof i === 'object' && i !== null)) {
      return [...items].sort((a, b) => String((a as { name?: string }).name).localeCompare(String((b as { name?: string }).name)));
    }
    return items;
  }
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) continue;
      out[k] = canonical(v, k);
    }
    return out;
  }
  return value;
}

/** True when two definitions would run the same containers the same way. */
export function sameDefinition(a: RegisterTaskDefinitionCommandInput, b: RegisterTaskDefinitionCommandInput): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}
