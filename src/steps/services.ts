import { createHash } from 'node:crypto';
import { WizardError } from '../errors.js';
import { serviceEntries, type Answers, type ServiceAnswers } from '../wizard/schema.js';
import { closeNames, oneOf } from '../words.js';

/**
 * Several services on one stack (issue 23): the one module every part of the tool asks about a
 * stack's services. The answers keep the shape they were given in (`service:` for a stack with
 * one service named after it, `services:` for several), so the answers of a stack made before
 * stay as they were; code never reads either directly, but iterates `servicesOf(answers)`:
 *
 * - `ServiceSpec`: one service as code sees it — its name, whether it is the primary (named after
 *   the stack), its answers with every default filled (route, scaling, health check …).
 * - `servicesOf(answers)`: the services in file order.
 * - `serviceNames(stack, svc)`: every AWS name of a service. The primary's are exactly those a stack
 *   had before (family, service `<stack>`, `<stack>-tg`, `<stack>-cpu`, log prefix `ecs`); every
 *   other service's carry `<stack>--<name>`: no stack name holds `--`, so they never meet another
 *   stack's names (stack `shop`'s service `web` is `shop--web`; stack `shop-web` is `shop-web`).
 *   Target groups are the exception: ELB refuses `--` in their names (and 32 characters at most),
 *   so theirs are `<stack>-<name>-<4 hex of sha1(stack/name)>`, the stack cut to fit.
 * - `idFor(svc, kind)`: a per-service step id — the kind for the primary (`service`), `kind:<name>`
 *   for any other (`service:api`) — so a stack of the previous release plans the same ids.
 * - `selectService(answers, flag, command)`: the `--service NAME` rule of the day-2 commands.
 */

/** A service's auto scaling, as the schema parses `scaling.service`. */
export type ServiceScaling = Answers['scaling']['service'];

export interface ServiceSpec extends Omit<ServiceAnswers, 'loadBalanced' | 'healthCheckPath' | 'scaling' | 'exec' | 'discovery' | 'priority'> {
  /** The service's name: the stack's own for the primary, else its key under `services`. */
  name: string;
  /** Named after the stack: its step ids and AWS names are those of a one-service stack. */
  primary: boolean;
  /** Where its answers are: `service` or `services.<name>` (for messages and answers paths). */
  at: string;
  /** false: a worker — no target group, no listener rule. */
  loadBalanced: boolean;
  /** The load-balanced service without path and host: the listener's default action forwards to it. */
  defaultRoute: boolean;
  /** The listener rule's priority (given, or derived from the file order): routed services only. */
  priority?: number;
  healthCheckPath: string;
  /** Its own `scaling`, else the stack's `scaling.service`. */
  scaling: ServiceScaling;
  exec: boolean;
  discovery: boolean;
}

/** Derived listener rule priorities: 100, 110, 120 … in file order, stepping past any given one. */
export const FIRST_PRIORITY = 100;
export const PRIORITY_STEP = 10;

/**
 * The services of the answers, in file order, with their defaults: load-balanced; the stack's
 * health check path and service scaling; no ECS Exec, no Service Connect. The routed services
 * (a path or host) without a `priority` get 100, 110, 120 … in file order (a number some service
 * gives is skipped), so a service added at the end never renumbers the others.
 */
export function servicesOf(answers: Answers): ServiceSpec[] {
  const entries = serviceEntries(answers);
  const given = new Set(entries.flatMap((e) => (e.answers.loadBalanced !== false && e.answers.priority !== undefined ? [e.answers.priority] : [])));
  let next = FIRST_PRIORITY;
  return entries.map(({ name, at, answers: sv }) => {
    const { loadBalanced, healthCheckPath, scaling, exec, discovery, priority, ...rest } = sv;
    const balanced = loadBalanced !== false;
    const routed = balanced && (sv.path !== undefined || sv.host !== undefined);
    let derived: number | undefined;
    if (routed && priority === undefined) {
      while (given.has(next)) next += PRIORITY_STEP;
      derived = next;
      next += PRIORITY_STEP;
    }
    return {
      ...rest,
      name,
      primary: name === answers.stack,
      at,
      loadBalanced: balanced,
      defaultRoute: balanced && !routed,
      ...(routed ? { priority: priority ?? derived } : {}),
      healthCheckPath: healthCheckPath ?? answers.loadBalancer.healthCheckPath,
      scaling: scaling ?? answers.scaling.service,
      exec: exec ?? false,
      discovery: discovery ?? false,
    };
  });
}

/**
 * A service's own answers object inside `answers` (`answers.service`, or `answers.services[name]`),
 * for a command that changes them in place (deploy's image, scale's counts); undefined for a name
 * the answers lack.
 */
export function serviceAnswersOf(answers: Answers, name: string): ServiceAnswers | undefined {
  if (answers.services !== undefined) return answers.services[name];
  return name === answers.stack ? answers.service : undefined;
}

/** The service the listener's default action forwards to (the schema makes sure there is exactly one). */
export function defaultService(answers: Answers): ServiceSpec {
  const services = servicesOf(answers);
  return services.find((s) => s.defaultRoute) ?? services[0]!;
}

/** The primary service (named after the stack), when the answers have one. */
export function primaryService(answers: Answers): ServiceSpec | undefined {
  return servicesOf(answers).find((s) => s.primary);
}

/** The kinds of per-service steps (and records), each instantiated once per service. */
export const SERVICE_KINDS = ['target-group', 'listener-rule', 'task-role', 'secrets-policy', 'ecr-repository', 'task-definition', 'service', 'service-stable', 'service-scaling'] as const;
export type ServiceKind = (typeof SERVICE_KINDS)[number];

/** A per-service step id: the kind for the primary (as a one-service stack had it), `kind:<name>` for another. */
export function idFor(svc: Pick<ServiceSpec, 'name' | 'primary'>, kind: ServiceKind): string {
  return svc.primary ? kind : `${kind}:${svc.name}`;
}

/**
 * The service a per-service step id belongs to: `{ kind, service }` (service undefined: the
 * primary's), or undefined for a step of the stack.
 */
export function serviceOfId(id: string): { kind: ServiceKind; service?: string } | undefined {
  const [kind, service] = id.split(':', 2) as [string, string | undefined];
  if (!(SERVICE_KINDS as readonly string[]).includes(kind)) return undefined;
  return { kind: kind as ServiceKind, ...(service !== undefined ? { service } : {}) };
}

/** Every AWS name a service uses. */
export interface ServiceNames {
  /** The ECS service. */
  service: string;
  taskFamily: string;
  /** The container in the task definition. */
  container: string;
  targetGroup: string;
  /** The awslogs stream prefix: streams are `<prefix>/<container>/<task id>` in the stack's log group. */
  logStreamPrefix: string;
  /** Target tracking policy names, per metric. */
  scalingPolicy: (metric: 'cpu' | 'memory' | 'requests') => string;
  /** The inline policy on the execution role granting its secrets. */
  secretsPolicy: string;
  /** The task role the stack makes (taskRolePolicies). */
  taskRole: string;
}

/** AWS limits target group names to 32 characters. */
const TARGET_GROUP_MAX = 32;

/**
 * The names of a service of `stack`. The primary's are the one-service stack's; another's carry
 * `<stack>--<name>` (no stack name holds `--`, so no other stack's names are ever these). Its target
 * group, whose name ELB limits to 32 characters without `--`, is `<stack>-<name>-<hash>`: four hex
 * digits of sha1(stack/name) tell stack `shop`'s service `x-y` from stack `shop-x`'s service `y`,
 * and the stack name is cut to fit (never ending in a hyphen).
 */
export function serviceNames(stack: string, svc: Pick<ServiceSpec, 'name' | 'primary'>): ServiceNames {
  if (svc.primary) {
    return {
      service: stack,
      taskFamily: stack,
      container: 'app',
      targetGroup: `${stack}-tg`,
      logStreamPrefix: 'ecs',
      scalingPolicy: (m) => `${stack}-${m}`,
      secretsPolicy: `${stack}-secrets`,
      taskRole: `${stack}-ecs-task`,
    };
  }
  const base = `${stack}--${svc.name}`;
  return {
    service: base,
    taskFamily: base,
    container: 'app',
    targetGroup: targetGroupName(stack, svc.name),
    logStreamPrefix: svc.name,
    scalingPolicy: (m) => `${base}-${m}`,
    secretsPolicy: `${base}-secrets`,
    taskRole: `${base}-ecs-task`,
  };
}

function targetGroupName(stack: string, name: string): string {
  const hash = createHash('sha1').update(`${stack}/${name}`).digest('hex').slice(0, 4);
  const tail = `-${name}-${hash}`;
  return `${stack.slice(0, TARGET_GROUP_MAX - tail.length).replace(/-+$/, '')}${tail}`;
}

/**
 * How a service is reached, in the review's words: `/api/* → api:8080`, `default → web:80`,
 * `worker: no load balancer` — and for one found by Service Connect (`discovery: true`) how the
 * other services call it: `worker: no load balancer; http://worker:8080 inside the stack`.
 */
export function routeText(svc: ServiceSpec): string {
  const inside = svc.discovery && svc.containerPort !== undefined ? `; http://${svc.name}:${svc.containerPort} inside the stack` : '';
  if (!svc.loadBalanced) return `${svc.name}: no load balancer${inside}`;
  const target = `${svc.name}:${svc.containerPort ?? 80}`;
  if (svc.defaultRoute) return `default → ${target}${inside}`;
  return `${svc.host ?? ''}${svc.path ?? ''} → ${target}${inside}`;
}

/**
 * The service a day-2 command acts on (`--service NAME`): the flag's, or the only one. On a stack
 * of several, a missing flag is a usage error listing the names, and an unknown name one with the
 * closest names ("did you mean api?") — both exit 2, before any AWS call.
 */
export function selectService(answers: Answers, flag: string | undefined, command: string): ServiceSpec {
  const services = servicesOf(answers);
  const names = services.map((s) => s.name);
  if (flag === undefined) {
    if (services.length === 1) return services[0]!;
    throw new WizardError('USAGE', `Stack "${answers.stack}" has ${services.length} services (${names.join(', ')}): say which one with --service.`, {
      problems: [{ path: '--service', message: `is required on a stack of several services: one of ${names.join(', ')}` }],
      hint: `Run \`ecs-wizard ${command} ${answers.stack} --service ${names[0]}\` (or ${oneOf(names.slice(1))}).`,
    });
  }
  const found = services.find((s) => s.name === flag);
  if (found) return found;
  const close = closeNames(flag, names);
  throw new WizardError('USAGE', `Stack "${answers.stack}" has no service "${flag}"${close.length ? `; did you mean ${oneOf(close)}?` : ''}`, {
    problems: [{ path: '--service', message: `names no service of ${answers.stack}: its services are ${names.join(', ')}` }],
    hint: `Its services: ${names.join(', ')}.`,
  });
}
