import type { AnswerChange, StackState } from '../engine/state.js';
import { repositoryImage } from '../steps/service/ecr.js';
import { validateAnswers } from './answers-file.js';
import { getPath } from './draft.js';
import { REDACTED } from './redact.js';
import type { Answers, ServiceAnswers } from './schema.js';
import { servicesOf } from '../steps/services.js';

/**
 * What a create on an existing stack changes in what runs, against the answers its state recorded
 * (which deploy, rollback and scale keep up to date) — and, for the group's bounds, against what
 * AWS shows when the review has read the group anyway. Pure: the review, `--dry-run --output json`
 * and the warnings of a `--yes` run all come from here.
 */
export interface StackChange {
  /** The answers path ("scaling.service.maxCount"; "service.environment" for the variables). */
  path: string;
  /** The values (for the environment: the variables' names, never their values). */
  from: unknown;
  to: unknown;
  /** In words: `service scaling max 10 → 6 (set by scale on 2026-12-06 14:02 by alice@laptop)`. */
  text: string;
  /** Who set the value this change replaces, when a day-2 command did. */
  changedBy?: AnswerChange;
}

/** The Auto Scaling group's bounds as AWS has them (read for the review's host roll). */
export interface GroupBounds {
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
}

interface Field {
  path: string;
  label: string;
  unit?: string;
  /** Only when this holds for the recorded answers and the new ones (e.g. service scaling on in both). */
  when?: (a: Answers) => boolean;
  /** What AWS shows for it, when the review read it: the change is from that. */
  aws?: keyof GroupBounds;
  /** A change recorded but not applied to what runs, said so. */
  note?: (a: Answers) => string | undefined;
}

const serviceScaling = (a: Answers): boolean => a.scaling.service.enabled;
const managed = (a: Answers): boolean => a.scaling.instances.managed;

/** Every answer a create on an existing stack converges what runs to, in the review's order. */
const FIELDS: Field[] = [
  { path: 'service.cpu', label: 'task CPU units' },
  { path: 'service.memory', label: 'task memory', unit: ' MiB' },
  { path: 'service.containerPort', label: 'container port' },
  { path: 'service.desiredCount', label: 'service desired count', note: (a) => (a.scaling.service.enabled ? 'recorded: service auto scaling sets the running count' : undefined) },
  { path: 'scaling.service.enabled', label: 'service auto scaling' },
  { path: 'scaling.service.minCount', label: 'service scaling min', when: serviceScaling },
  { path: 'scaling.service.maxCount', label: 'service scaling max', when: serviceScaling },
  { path: 'scaling.service.targetCpuPercent', label: 'service scaling CPU target', unit: ' %', when: serviceScaling },
  { path: 'scaling.service.targetMemoryPercent', label: 'service scaling memory target', unit: ' %', when: serviceScaling },
  { path: 'scaling.service.requestsPerTarget', label: 'service scaling requests per task target', when: serviceScaling },
  { path: 'scaling.service.scaleInCooldownSeconds', label: 'service scale-in cooldown', unit: ' s', when: serviceScaling },
  { path: 'scaling.service.scaleOutCooldownSeconds', label: 'service scale-out cooldown', unit: ' s', when: serviceScaling },
  { path: 'instances.instanceType', label: 'instance type' },
  { path: 'instances.minSize', label: 'instances min', aws: 'minSize' },
  { path: 'instances.maxSize', label: 'instances max', aws: 'maxSize' },
  { path: 'instances.desiredCapacity', label: 'instances desired', note: () => "recorded: scaling sets the group's desired capacity" },
  { path: 'scaling.instances.managed', label: 'managed instance scaling (capacity provider)' },
  { path: 'scaling.instances.targetCapacityPercent', label: 'capacity provider target capacity', unit: ' %', when: managed },
  { path: 'scaling.instances.targetCpuPercent', label: 'instance scaling CPU target', unit: ' %', when: (a) => !managed(a) },
  { path: 'loadBalancer.healthCheckPath', label: 'health check path' },
];

const shown = (v: unknown): string => (v === undefined ? 'none' : typeof v === 'boolean' ? (v ? 'on' : 'off') : String(v));
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** "set by scale on 2026-12-06 14:02 by alice@laptop" (UTC), or nothing for a record that does not read as one. */
export function provenance(c: AnswerChange | undefined): string | undefined {
  if (!c || typeof c.by !== 'string' || typeof c.at !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(c.at)) return undefined;
  return `set by ${c.by} on ${c.at.slice(0, 10)} ${c.at.slice(11, 16)}${typeof c.user === 'string' && c.user ? ` by ${c.user}` : ''}`;
}

/** The recorded answers with the schema's defaults (a key a later release added reads as its default, not as a change). */
function recordedAnswers(current: StackState): Answers | undefined {
  if (!current.answers) return undefined;
  try {
    return validateAnswers(current.answers);
  } catch {
    return current.answers as Answers;
  }
}

export function stackChanges(current: StackState, a: Answers, seen: { group?: GroupBounds } = {}): StackChange[] {
  const was = recordedAnswers(current);
  const connect = was ? serviceConnectChanges(was, a) : [];
  // What a day-2 command changed is compared on a one-service stack (`service:` before and now);
  // per service on a stack of several is part 2 of issue 23.
  if (!was?.service || !a.service) return connect;
  const out: StackChange[] = [...connect, ...imageAndEnvironment(current, { ...was, service: was.service }, { ...a, service: a.service })];
  for (const f of FIELDS) {
    if (f.when && !(f.when(was) && f.when(a))) continue;
    const recorded = getPath(was, f.path);
    const live = f.aws && seen.group ? seen.group[f.aws] : undefined;
    const from = live ?? recorded;
    const to = getPath(a, f.path);
    if (same(from, to)) continue;
    const set = live === undefined || same(live, recorded) ? current.changedBy?.[f.path] : undefined;
    const why = [
      live !== undefined && !same(live, recorded) ? `changed outside ecs-wizard: recorded ${shown(recorded)}` : undefined,
      f.note?.(a),
      provenance(set),
    ].filter(Boolean);
    out.push({
      path: f.path,
      from,
      to,
      text: `${f.label} ${shown(from)} → ${shown(to)}${to === undefined ? '' : (f.unit ?? '')}${why.length ? ` (${why.join('; ')})` : ''}`,
      ...(provenance(set) ? { changedBy: set } : {}),
    });
  }
  return out;
}

/**
 * Service Connect turned on or off (a service's `discovery`): each service whose configuration
 * changes gets a new deployment — every service when the stack's namespace comes or goes (all
 * are its clients), else the one whose discovery changed.
 */
function serviceConnectChanges(was: Answers, a: Answers): StackChange[] {
  const before = new Map(servicesOf(was).map((s) => [s.name, s.discovery]));
  const now = servicesOf(a);
  const on = (list: { discovery: boolean }[]): boolean => list.some((s) => s.discovery);
  const stackWas = on([...before.entries()].map(([, discovery]) => ({ discovery })));
  const stackNow = on(now);
  if (stackWas !== stackNow) {
    const ns = `${a.stack}.internal`;
    return [
      {
        path: 'services.*.discovery',
        from: stackWas,
        to: stackNow,
        text: stackNow
          ? `Service Connect on (namespace ${ns}): every service gets a new deployment`
          : `Service Connect off: every service gets a new deployment, then the namespace ${ns} is deleted`,
      },
    ];
  }
  return now
    .filter((s) => before.has(s.name) && before.get(s.name) !== s.discovery)
    .map((s) => ({
      path: `${s.at}.discovery`,
      from: before.get(s.name),
      to: s.discovery,
      text: `${s.name} found by Service Connect ${shown(before.get(s.name))} → ${shown(s.discovery)}: its tasks are replaced (a new deployment)`,
    }));
}

/**
 * The image and the environment: variables by name only (a value the state holds redacted cannot
 * be compared and counts as unchanged); said to revert the last deploy when the newest release was
 * a deploy, rollback or forced deployment.
 */
function imageAndEnvironment(current: StackState, was: Answers & { service: ServiceAnswers }, a: Answers & { service: ServiceAnswers }): StackChange[] {
  const uri = (current.resources['ecr-repository']?.outputs as { repositoryUri?: string } | undefined)?.repositoryUri;
  const effective = (image: string | undefined): string | undefined => (a.service.ecrRepository && uri ? repositoryImage(image ?? '', uri) : image);
  const newest = current.releases?.[current.releases.length - 1];
  const reverts = newest && newest.kind !== 'create' ? ` (reverts the last ${newest.kind === 'rollback' ? 'rollback' : 'deploy'})` : '';
  const out: StackChange[] = [];
  const before = effective(was.service.image);
  const after = effective(a.service.image);
  if (before !== undefined && before !== after) out.push({ path: 'service.image', from: before, to: after, text: `image ${before} → ${after}${reverts}` });
  const oldEnv = was.service.environment ?? {};
  const newEnv = a.service.environment;
  const names = [...new Set([...Object.keys(oldEnv), ...Object.keys(newEnv)])].sort();
  const diff = names
    .map((n) => (!(n in oldEnv) ? `+${n}` : !(n in newEnv) ? `-${n}` : oldEnv[n] !== newEnv[n] && oldEnv[n] !== REDACTED && newEnv[n] !== REDACTED ? `~${n}` : ''))
    .filter(Boolean);
  // Names only, never values: before and after (a changed value keeps its name in both; the text says ~NAME).
  if (diff.length) out.push({ path: 'service.environment', from: Object.keys(oldEnv).sort(), to: Object.keys(newEnv).sort(), text: `environment ${diff.join(', ')}${reverts}` });
  return out;
}

/**
 * The provenance still true once `next` is recorded: an answer this create sets to another value
 * is create's again, so its entry goes. Undefined when none is left.
 */
export function keptProvenance(changedBy: StackState['changedBy'], recorded: unknown, next: Answers): StackState['changedBy'] {
  const kept = Object.entries(changedBy ?? {}).filter(([path]) => same(getPath(recorded, path), getPath(next, path)));
  return kept.length ? Object.fromEntries(kept) : undefined;
}
