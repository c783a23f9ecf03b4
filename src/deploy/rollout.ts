import type { Deployment, Service, Task } from '@aws-sdk/client-ecs';
import { noun, plural } from '../words.js';

/**
 * How far a rollout has come, judged from facts alone (no AWS here: unit-tested). The phases are
 * milestones, each implying the ones before: every new task placed (running), every new task's
 * target healthy, the old tasks drained (deregistration delay) — and ECS's word that it is done.
 *
 * Two ways to know:
 * - `deployment`: ECS lists a deployment for the new revision with a rolloutState (real AWS, and
 *   moto after a forced deployment). Counts come from that deployment; done is rolloutState
 *   COMPLETED; FAILED is a failure (a circuit breaker with rollback also puts the previous revision
 *   back as PRIMARY: "rolled back").
 * - `stable`: no deployment names the new revision although the service does (moto keeps one
 *   PRIMARY deployment with the OLD task definition forever), or it has no rolloutState: the
 *   services-stable rule — running == desired, one deployment left, no target unhealthy or draining.
 * A service that runs neither the new revision nor a deployment of it has moved away (ECS rolled it
 * back after the deployment was gone from the list, or someone deployed over it): a failure.
 */

export interface RolloutTarget {
  taskDefinitionArn: string;
  /** The deployment UpdateService started, when known (a forced deployment keeps the same revision). */
  deploymentId?: string;
}

export interface TargetState {
  id: string;
  port?: number;
  state?: string;
  reason?: string;
  description?: string;
}

export interface Observation {
  service: Service;
  /** The service's tasks that should be running (undefined: not looked at). */
  tasks?: Task[];
  /** Every target of the service's target group (undefined: no load balancer, or not looked at). */
  targets?: TargetState[];
  /** Container instance ARN → EC2 instance id, to match a task's host port to its target. */
  instances?: Map<string, string>;
}

export interface RolloutView {
  mode: 'deployment' | 'stable';
  placed: { running: number; desired: number; provisioning: number };
  healthy?: { healthy: number; total: number };
  draining: { oldTasks: number; targets: number };
  placedDone: boolean;
  healthyDone: boolean;
  /** The last milestone: old tasks gone and (with a deployment) ECS says COMPLETED. */
  done: boolean;
  failed?: { reason: string; rolledBackTo?: string };
}

/** The deployment that carries the new revision: by id when known, else PRIMARY with that revision, else any with it. */
export function targetDeployment(service: Service, target: RolloutTarget): Deployment | undefined {
  const deployments = service.deployments ?? [];
  if (target.deploymentId) return deployments.find((d) => d.id === target.deploymentId);
  const same = deployments.filter((d) => d.taskDefinition === target.taskDefinitionArn);
  return same.find((d) => d.status === 'PRIMARY') ?? same[0];
}

export const revisionOf = (arn: string | undefined): number | undefined => {
  const n = Number(arn?.split(':').pop());
  return Number.isInteger(n) && n > 0 ? n : undefined;
};

const bindingKeys = (task: Task, instances: Map<string, string> | undefined): string[] => {
  const instance = instances?.get(task.containerInstanceArn ?? '');
  if (!instance) return [];
  return (task.containers ?? []).flatMap((c) => (c.networkBindings ?? []).map((b) => `${instance}:${b.hostPort}`));
};

export function judgeRollout(obs: Observation, target: RolloutTarget): RolloutView {
  const s = obs.service;
  const deployments = s.deployments ?? [];
  const d = targetDeployment(s, target);
  const primary = deployments.find((x) => x.status === 'PRIMARY');
  let failed: RolloutView['failed'];
  if (d?.rolloutState === 'FAILED') {
    const back = primary && primary !== d && primary.taskDefinition !== target.taskDefinitionArn ? primary.taskDefinition : undefined;
    failed = { reason: d.rolloutStateReason ?? 'the deployment failed', ...(back ? { rolledBackTo: back } : {}) };
  } else if (!d && s.taskDefinition !== target.taskDefinitionArn) {
    failed = { reason: `the service runs revision ${revisionOf(s.taskDefinition) ?? s.taskDefinition} now`, ...(s.taskDefinition ? { rolledBackTo: s.taskDefinition } : {}) };
  }

  const mode = d?.rolloutState !== undefined ? 'deployment' : 'stable';
  const counts = mode === 'deployment' ? d! : s;
  const running = counts.runningCount ?? 0;
  const desired = counts.desiredCount ?? 0;
  const newTasks = (obs.tasks ?? []).filter((t) => (d?.id ? t.startedBy === d.id : t.taskDefinitionArn === target.taskDefinitionArn));
  const provisioning = newTasks.filter((t) => t.lastStatus === 'PROVISIONING').length;
  const completed = mode === 'deployment' && d!.rolloutState === 'COMPLETED';
  const placedDone = completed || running >= desired;

  let healthy: RolloutView['healthy'];
  let healthyDone = placedDone;
  const live = (obs.targets ?? []).filter((t) => t.state !== 'draining' && t.state !== 'unused');
  if (obs.targets !== undefined && desired > 0) {
    const keys = new Set(newTasks.flatMap((t) => bindingKeys(t, obs.instances)));
    if (keys.size > 0) {
      // The new tasks are known: their own targets must be healthy, one per desired task.
      const n = live.filter((t) => keys.has(`${t.id}:${t.port}`) && t.state === 'healthy').length;
      healthy = { healthy: n, total: desired };
      healthyDone = completed || (placedDone && n >= desired);
    } else {
      // Tasks not known (the emulator runs none): no registered target may be unhealthy.
      const n = live.filter((t) => t.state === 'healthy').length;
      healthy = { healthy: n, total: live.length };
      healthyDone = completed || (placedDone && n === live.length);
    }
  }

  const others = deployments.filter((x) => x !== d && (mode === 'deployment' || x.status !== 'PRIMARY'));
  const oldTasks = others.reduce((a, x) => a + (x.runningCount ?? 0), 0);
  const drainingTargets = (obs.targets ?? []).filter((t) => t.state === 'draining').length;
  const done = failed
    ? false
    : mode === 'deployment'
      ? completed
      : healthyDone && deployments.length <= 1 && drainingTargets === 0;
  return {
    mode,
    placed: { running, desired, provisioning },
    ...(healthy ? { healthy } : {}),
    draining: { oldTasks, targets: drainingTargets },
    placedDone: !failed && placedDone,
    healthyDone: !failed && healthyDone,
    done,
    ...(failed ? { failed } : {}),
  };
}

export type Phase = 'placing' | 'healthy' | 'draining';

/** What a phase waits for, in words, for the progress line. */
export function phaseMessage(view: RolloutView, phase: Phase): string {
  const p = view.placed;
  if (phase === 'placing') {
    const capacity = p.provisioning > 0 ? ` — waiting for capacity: ${plural(p.provisioning, 'task')} PROVISIONING while the capacity provider adds an instance` : '';
    return `${Math.min(p.running, p.desired)}/${p.desired} ${noun(p.desired, 'task')} running${capacity}`;
  }
  if (phase === 'healthy') return view.healthy ? `${view.healthy.healthy}/${view.healthy.total} ${noun(view.healthy.total, 'target')} healthy` : 'waiting for the tasks to pass their health checks';
  const d = view.draining;
  if (d.oldTasks > 0 || d.targets > 0) {
    const what = d.oldTasks > 0 ? `${plural(d.oldTasks, 'old task')} stopping` : `${plural(d.targets, 'target')} draining`;
    return `${what} (deregistration delay)`;
  }
  return 'waiting for ECS to mark the deployment complete';
}

/** Whether a phase's milestone is reached. */
export function phaseDone(view: RolloutView, phase: Phase): boolean {
  return phase === 'placing' ? view.placedDone : phase === 'healthy' ? view.healthyDone : view.done;
}
