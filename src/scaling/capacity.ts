import type { Problem } from '../errors.js';
import type { Answers } from '../wizard/schema.js';
import { plural } from '../words.js';
import { serviceAnswersOf, servicesOf, type ServiceSpec } from '../steps/services.js';

/**
 * Capacity arithmetic and guard rails: how many tasks of the service fit one instance, and whether
 * the service's task bounds fit the Auto Scaling group's instance bounds.
 */

export interface InstanceSpec {
  vcpu: number;
  /** Installed memory, MiB. */
  memoryMiB: number;
}

const sizes = (family: string, specs: Record<string, [number, number]>): Record<string, InstanceSpec> =>
  Object.fromEntries(Object.entries(specs).map(([size, [vcpu, gib]]) => [`${family}.${size}`, { vcpu, memoryMiB: gib * 1024 }]));

// Burstable t3/t3a/t4g: 2 vCPU from micro to large; t2 has 1 vCPU up to small.
const T3: Record<string, [number, number]> = { micro: [2, 1], small: [2, 2], medium: [2, 4], large: [2, 8], xlarge: [4, 16], '2xlarge': [8, 32] };
const T2: Record<string, [number, number]> = { micro: [1, 1], small: [1, 2], medium: [2, 4], large: [2, 8], xlarge: [4, 16], '2xlarge': [8, 32] };
const M: Record<string, [number, number]> = { large: [2, 8], xlarge: [4, 16], '2xlarge': [8, 32], '4xlarge': [16, 64] };
const C: Record<string, [number, number]> = { large: [2, 4], xlarge: [4, 8], '2xlarge': [8, 16], '4xlarge': [16, 32] };
const R: Record<string, [number, number]> = { large: [2, 16], xlarge: [4, 32], '2xlarge': [8, 64] };

/** vCPU and memory of the instance types the wizard offers and people commonly pick (from the EC2 instance type pages). */
export const INSTANCE_TYPES: Readonly<Record<string, InstanceSpec>> = {
  ...sizes('t2', T2),
  ...sizes('t3', T3),
  ...sizes('t3a', T3),
  ...sizes('t4g', T3),
  ...sizes('m5', M),
  ...sizes('m6i', M),
  ...sizes('m7g', M),
  ...sizes('c5', C),
  ...sizes('c6i', C),
  ...sizes('r5', R),
};

/**
 * Share of an instance's installed memory that tasks cannot reserve. The ECS agent registers the
 * memory the OS reports as available, which on the Amazon Linux 2023 ECS-optimised AMI is a few
 * percent below the nominal size (kernel, agent, Docker; proportionally more on small instances:
 * a 1 GiB t3.micro registers roughly 900–950 MiB). We assume 8 %: the estimate errs towards fewer
 * tasks per instance, so a warning is raised a little early rather than a task never placed.
 */
export const NON_RESERVABLE_MEMORY_FRACTION = 0.08;

/** CPU units per vCPU as the ECS agent registers them; all of it is reservable. */
export const CPU_UNITS_PER_VCPU = 1024;

/** What the ECS agent offers to tasks on one instance, or undefined for a type not in the table. */
export function reservableCapacity(instanceType: string): { cpu: number; memoryMiB: number } | undefined {
  const spec = INSTANCE_TYPES[instanceType];
  if (!spec) return undefined;
  return { cpu: spec.vcpu * CPU_UNITS_PER_VCPU, memoryMiB: Math.floor(spec.memoryMiB * (1 - NON_RESERVABLE_MEMORY_FRACTION)) };
}

/** How many tasks of `cpu` units and `memory` MiB fit one instance (0: none), or undefined for an unknown type. */
export function tasksPerInstance(instanceType: string, cpu: number, memory: number): number | undefined {
  const cap = reservableCapacity(instanceType);
  if (!cap) return undefined;
  return Math.min(Math.floor(cap.cpu / cpu), Math.floor(cap.memoryMiB / memory));
}

export interface CapacityCheck {
  /** Answers that can never work: refuse them (INPUT_INVALID). */
  problems: Problem[];
  /** Answers that work but cannot reach a stated bound: tell the user. */
  warnings: string[];
}

/**
 * The other answers each refusal below reads besides its own key (a Spot type's refusal is at
 * `instances.spot.instanceTypes.<k>`), so the wizard checks it as soon as all of them are answered.
 */
export const CAPACITY_READS: Readonly<Record<string, readonly string[]>> = {
  'service.cpu': ['instances.instanceType'],
  'service.memory': ['instances.instanceType'],
  'service.desiredCount': ['instances.instanceType', 'service.cpu', 'service.memory', 'instances.desiredCapacity', 'scaling.instances.managed'],
  'instances.spot.instanceTypes': ['instances.instanceType', 'service.cpu', 'service.memory'],
};

/** What a capacity problem at this path reads besides its own key. */
export function capacityReads(path: string): string[] {
  const key = Object.keys(CAPACITY_READS).find((k) => path === k || path.startsWith(`${k}.`));
  return key ? [...CAPACITY_READS[key]!] : [];
}

/**
 * Guard rails on task size vs instance size and task counts vs instance counts.
 *
 * - A task bigger than one instance can never be placed: refused, naming service.cpu/service.memory.
 * - More tasks allowed than the largest group can hold (maxCount > tasks/instance × maxSize): a
 *   warning in both modes, because maxSize is a hard cap either way and the figure rests on an
 *   estimate of reservable memory; the user may raise maxSize later with `ecs-wizard scale`.
 * - Without managed scaling, a desired count the *initial* instances cannot hold is refused: an
 *   ASG policy on average CPU never adds instances for tasks that cannot be placed (they use no
 *   CPU), so the service would never reach its desired count. A capacity provider does scale out
 *   for them, so with managed scaling it is only the warning above.
 */
export function checkCapacity(answers: Answers): CapacityCheck {
  const spot = checkSpotCapacity(answers);
  const problems: Problem[] = [...spot.problems];
  const warnings: string[] = [...spot.warnings];
  const { instanceType } = answers.instances;
  const cap = reservableCapacity(instanceType);
  const services = servicesOf(answers);
  if (!cap) {
    for (const { cpu, memory } of services) warnings.push(`instance type ${instanceType} is not in ecs-wizard's capacity table: cannot check that ${cpu} CPU units / ${memory} MiB tasks fit, nor how many.`);
    return { problems, warnings };
  }
  for (const svc of services) checkService(answers, svc, cap, problems, warnings);
  if (problems.length === 0 && services.length > 1) warnings.push(...sharedCapacity(answers, services, cap));
  return { problems, warnings };
}

/** One service's tasks against the instance type and the group's bounds (each problem at the service's own answers). */
function checkService(answers: Answers, svc: ServiceSpec, cap: { cpu: number; memoryMiB: number }, problems: Problem[], warnings: string[]): void {
  const { instanceType, maxSize, desiredCapacity } = answers.instances;
  const { cpu, memory, desiredCount } = svc;
  const before = problems.length;
  if (cpu > cap.cpu) {
    problems.push({ path: `${svc.at}.cpu`, message: `a task needs ${cpu} CPU units but a ${instanceType} offers ${cap.cpu}; pick a larger instance type or a smaller task` });
  }
  if (memory > cap.memoryMiB) {
    problems.push({ path: `${svc.at}.memory`, message: `a task needs ${memory} MiB but a ${instanceType} offers about ${cap.memoryMiB} MiB to tasks; pick a larger instance type or a smaller task` });
  }
  if (problems.length > before) return;

  const perInstance = tasksPerInstance(instanceType, cpu, memory)!;
  const scaling = svc.scaling;
  const own = serviceAnswersOf(answers, svc.name)?.scaling !== undefined;
  const maxTasks = scaling.enabled ? scaling.maxCount : desiredCount;
  const maxKey = scaling.enabled ? (own ? `${svc.at}.scaling.maxCount` : 'scaling.service.maxCount') : `${svc.at}.desiredCount`;
  if (maxTasks > perInstance * maxSize) {
    warnings.push(
      `${maxKey} is ${maxTasks}, but at most ${plural(perInstance * maxSize, 'task')} fit (${perInstance} per ${instanceType} × instances.maxSize ${maxSize}); tasks beyond that stay pending. Raise instances.maxSize to ${Math.ceil(maxTasks / perInstance)} or use a larger instance type.`,
    );
  }
  if (!answers.scaling.instances.managed && desiredCount > perInstance * desiredCapacity) {
    problems.push({
      path: `${svc.at}.desiredCount`,
      message: `${plural(desiredCount, 'task')} need ${plural(Math.ceil(desiredCount / perInstance), 'instance')} (${perInstance} per ${instanceType}), but instances.desiredCapacity is ${desiredCapacity} and without a capacity provider (scaling.instances.managed: false) nothing adds instances for tasks that cannot be placed`,
    });
  }
}

/**
 * Several services share the hosts: their desired tasks together against what the group's largest
 * size offers. A warning, not a refusal — placement packs tasks of different sizes, which a sum
 * only estimates.
 */
function sharedCapacity(answers: Answers, services: ServiceSpec[], cap: { cpu: number; memoryMiB: number }): string[] {
  const { instanceType, maxSize } = answers.instances;
  const memory = services.reduce((sum, s) => sum + s.memory * s.desiredCount, 0);
  const cpu = services.reduce((sum, s) => sum + s.cpu * s.desiredCount, 0);
  const offered = { memoryMiB: cap.memoryMiB * maxSize, cpu: cap.cpu * maxSize };
  if (memory <= offered.memoryMiB && cpu <= offered.cpu) return [];
  const what = memory > offered.memoryMiB ? `${memory} MiB of memory (about ${offered.memoryMiB} MiB offered)` : `${cpu} CPU units (${offered.cpu} offered)`;
  return [
    `the ${services.length} services' desired tasks together need ${what} on at most ${plural(maxSize, 'instance')} of ${instanceType} (instances.maxSize): some tasks would stay pending. Raise instances.maxSize, use a larger instance type, or run fewer tasks.`,
  ];
}

/**
 * With instances.spot the group launches any of the Spot types, so each must hold a task: a type
 * too small for one is refused (a host of it would join the cluster and never run anything). An
 * on-demand base above maxSize leaves no room for Spot: said as a warning.
 */
export function checkSpotCapacity(answers: Answers): CapacityCheck {
  const problems: Problem[] = [];
  const warnings: string[] = [];
  const spot = answers.instances.spot;
  if (!spot) return { problems, warnings };
  const unknown: string[] = [];
  // The largest task of any service must fit each type.
  const services = servicesOf(answers);
  const cpu = Math.max(...services.map((s) => s.cpu));
  const memory = Math.max(...services.map((s) => s.memory));
  (spot.instanceTypes ?? []).forEach((type, k) => {
    // instances.instanceType is checked by checkCapacity itself, under its own key.
    if (type === answers.instances.instanceType) return;
    const cap = reservableCapacity(type);
    if (!cap) return void unknown.push(type);
    const short = [cpu > cap.cpu ? `${cpu} CPU units (it offers ${cap.cpu})` : '', memory > cap.memoryMiB ? `${memory} MiB (it offers about ${cap.memoryMiB} MiB)` : ''].filter(Boolean);
    if (short.length) problems.push({ path: `instances.spot.instanceTypes.${k}`, message: `${type} cannot hold one task: a task needs ${short.join(' and ')}; drop it or pick a larger type` });
  });
  if (unknown.length) warnings.push(`Spot type${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in ecs-wizard's capacity table: cannot check that a ${cpu} CPU units / ${memory} MiB task fits.`);
  if (spot.onDemandBaseCapacity >= answers.instances.maxSize) {
    warnings.push(`instances.spot.onDemandBaseCapacity is ${spot.onDemandBaseCapacity}, at least instances.maxSize (${answers.instances.maxSize}): every instance is On-Demand, none Spot.`);
  }
  return { problems, warnings };
}
