import { describe, expect, it } from 'vitest';
import type { Deployment, Service, Task } from '@aws-sdk/client-ecs';
import { judgeRollout, phaseMessage } from '../../../src/deploy/rollout.js';

const OLD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/shop:4';
const NEW = 'arn:aws:ecs:us-east-1:123456789012:task-definition/shop:5';
const CI1 = 'arn:aws:ecs:us-east-1:123456789012:container-instance/shop/ci1';
const instances = new Map([[CI1, 'i-1']]);

const service = (taskDefinition: string, deployments: Deployment[], counts = { running: 2, desired: 2 }): Service => ({
  status: 'ACTIVE',
  taskDefinition,
  runningCount: counts.running,
  desiredCount: counts.desired,
  deployments,
});
const dep = (id: string, status: string, td: string, running: number, rolloutState?: Deployment['rolloutState'], desired = 2): Deployment => ({ id, status, taskDefinition: td, runningCount: running, desiredCount: desired, ...(rolloutState ? { rolloutState } : {}) });
const task = (startedBy: string, lastStatus: string, port?: number): Task => ({
  startedBy,
  taskDefinitionArn: NEW,
  lastStatus,
  containerInstanceArn: CI1,
  containers: port ? [{ name: 'app', networkBindings: [{ hostPort: port, containerPort: 80 }] }] : [],
});

describe('judging a rollout', () => {
  it('moto: the service names the new revision, its only deployment the old one — the services-stable rule decides, and it finishes', () => {
    // GIVEN moto after UpdateService: PRIMARY keeps the OLD task definition (rollout IN_PROGRESS forever)
    const s = service(NEW, [dep('ecs-svc/1', 'PRIMARY', OLD, 2, 'IN_PROGRESS')]);
    // WHEN judged with the targets the (fake) tasks registered
    const v = judgeRollout({ service: s, tasks: [], targets: [{ id: 'i-1', port: 32768, state: 'healthy' }] }, { taskDefinitionArn: NEW });
    // THEN stable mode, every milestone reached, not failed
    expect(v).toMatchObject({ mode: 'stable', placedDone: true, healthyDone: true, done: true });
    expect(v.failed).toBeUndefined();
  });

  it('moto, but a target still unhealthy or draining: not done', () => {
    const s = service(NEW, [dep('ecs-svc/1', 'PRIMARY', OLD, 2, 'IN_PROGRESS')]);
    expect(judgeRollout({ service: s, targets: [{ id: 'i-1', port: 1, state: 'unhealthy' }] }, { taskDefinitionArn: NEW }).healthyDone).toBe(false);
    expect(judgeRollout({ service: s, targets: [{ id: 'i-1', port: 1, state: 'healthy' }, { id: 'i-2', port: 2, state: 'draining' }] }, { taskDefinitionArn: NEW }).done).toBe(false);
  });

  it('AWS: new tasks PROVISIONING while the capacity provider adds an instance — placing, "waiting for capacity"', () => {
    const s = service(NEW, [dep('ecs-svc/new', 'PRIMARY', NEW, 0, 'IN_PROGRESS'), dep('ecs-svc/old', 'ACTIVE', OLD, 2)]);
    const v = judgeRollout({ service: s, tasks: [task('ecs-svc/new', 'PROVISIONING'), task('ecs-svc/new', 'PROVISIONING')] }, { taskDefinitionArn: NEW, deploymentId: 'ecs-svc/new' });
    expect(v).toMatchObject({ mode: 'deployment', placed: { running: 0, desired: 2, provisioning: 2 }, placedDone: false, done: false });
    expect(phaseMessage(v, 'placing')).toBe('0/2 tasks running — waiting for capacity: 2 tasks PROVISIONING while the capacity provider adds an instance');
  });

  it('AWS: placed, one of the new tasks\' targets healthy — only the new tasks\' own targets count (old healthy ones do not)', () => {
    const s = service(NEW, [dep('ecs-svc/new', 'PRIMARY', NEW, 2, 'IN_PROGRESS'), dep('ecs-svc/old', 'ACTIVE', OLD, 2)]);
    const targets = [
      { id: 'i-1', port: 32770, state: 'healthy' },
      { id: 'i-1', port: 32771, state: 'initial', reason: 'Elb.RegistrationInProgress' },
      { id: 'i-1', port: 32768, state: 'healthy' },
      { id: 'i-1', port: 32769, state: 'healthy' },
    ];
    const v = judgeRollout({ service: s, tasks: [task('ecs-svc/new', 'RUNNING', 32770), task('ecs-svc/new', 'RUNNING', 32771), task('ecs-svc/old', 'RUNNING', 32768)], targets, instances }, { taskDefinitionArn: NEW, deploymentId: 'ecs-svc/new' });
    expect(v).toMatchObject({ placedDone: true, healthyDone: false, healthy: { healthy: 1, total: 2 } });
    expect(phaseMessage(v, 'healthy')).toBe('1/2 targets healthy');
  });

  it('AWS: new targets healthy, the old deployment still stopping its tasks — draining; COMPLETED is done', () => {
    const targets = [{ id: 'i-1', port: 32770, state: 'healthy' }, { id: 'i-1', port: 32771, state: 'healthy' }, { id: 'i-1', port: 32768, state: 'draining' }];
    const tasks = [task('ecs-svc/new', 'RUNNING', 32770), task('ecs-svc/new', 'RUNNING', 32771)];
    const draining = judgeRollout({ service: service(NEW, [dep('ecs-svc/new', 'PRIMARY', NEW, 2, 'IN_PROGRESS'), dep('ecs-svc/old', 'ACTIVE', OLD, 1)]), tasks, targets, instances }, { taskDefinitionArn: NEW, deploymentId: 'ecs-svc/new' });
    expect(draining).toMatchObject({ healthyDone: true, done: false, draining: { oldTasks: 1, targets: 1 } });
    expect(phaseMessage(draining, 'draining')).toBe('1 old task stopping (deregistration delay)');
    const completed = judgeRollout({ service: service(NEW, [dep('ecs-svc/new', 'PRIMARY', NEW, 2, 'COMPLETED')]), targets: targets.slice(0, 2) }, { taskDefinitionArn: NEW, deploymentId: 'ecs-svc/new' });
    expect(completed.done).toBe(true);
  });

  it('AWS: the circuit breaker failed the deployment and put the previous revision back — failed, rolled back to it', () => {
    const s = service(OLD, [dep('ecs-svc/old2', 'PRIMARY', OLD, 1, 'IN_PROGRESS'), { ...dep('ecs-svc/new', 'ACTIVE', NEW, 0, 'FAILED'), rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.' }]);
    const v = judgeRollout({ service: s }, { taskDefinitionArn: NEW, deploymentId: 'ecs-svc/new' });
    expect(v.failed).toEqual({ reason: 'ECS deployment circuit breaker: tasks failed to start.', rolledBackTo: OLD });
    expect(v.done).toBe(false);
  });

  it('the service runs another revision and no deployment of ours is left: it moved away (a failure)', () => {
    const v = judgeRollout({ service: service(OLD, [dep('ecs-svc/x', 'PRIMARY', OLD, 2, 'COMPLETED')]) }, { taskDefinitionArn: NEW });
    expect(v.failed).toEqual({ reason: 'the service runs revision 4 now', rolledBackTo: OLD });
  });

  it('a forced deployment keeps the revision: the deployment is found by the id UpdateService gave, not by the revision', () => {
    const s = service(OLD, [dep('ecs-svc/forced', 'PRIMARY', OLD, 0, 'IN_PROGRESS'), dep('ecs-svc/before', 'ACTIVE', OLD, 2, 'COMPLETED')]);
    const v = judgeRollout({ service: s }, { taskDefinitionArn: OLD, deploymentId: 'ecs-svc/forced' });
    expect(v).toMatchObject({ mode: 'deployment', placed: { running: 0, desired: 2 }, placedDone: false });
  });
});
