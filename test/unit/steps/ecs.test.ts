import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteClusterCommand,
  DeleteServiceCommand,
  DeleteTaskDefinitionsCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListContainerInstancesCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type Service,
} from '@aws-sdk/client-ecs';
import { isWizardError } from '../../../src/errors.js';
import { topoOrder } from '../../../src/engine/graph.js';
import { clusterStep } from '../../../src/steps/stack/cluster.js';
import { buildPlan } from '../../../src/steps/index.js';
import { serviceStableStep as serviceStableStepFor, serviceStep as serviceStepFor } from '../../../src/steps/service/service.js';
import { taskDefinitionStep as taskDefinitionStepFor } from '../../../src/steps/service/task-definition.js';
import { FAST_TIMING, testStack } from '../../support/stack.js';
import { stepContext } from '../../support/step-context.js';
import { sdkError } from '../../support/aws-wire.js';
import { mutationsOf } from '../../support/mocked-calls.js';
import { onPrimary } from '../../support/service-steps.js';
const serviceStableStep = onPrimary(serviceStableStepFor);
const serviceStep = onPrimary(serviceStepFor);
const taskDefinitionStep = onPrimary(taskDefinitionStepFor);

const ecs = mockClient(ECSClient);
afterEach(() => ecs.reset());

function mutations(): string[] {
  return mutationsOf(ecs);
}

const TD_ARN = (rev: number) => `arn:aws:ecs:us-east-1:123456789012:task-definition/shop:${rev}`;
const DEPS = {
  cluster: { clusterName: 'shop', clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/shop' },
  'execution-role': { roleName: 'shop-ecs-task-execution', roleArn: 'arn:aws:iam::123456789012:role/shop-ecs-task-execution' },
  'target-group': { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-tg/abc', targetGroupName: 'shop-tg' },
  'task-definition': { taskDefinitionArn: TD_ARN(2), family: 'shop', revision: 2 },
};

describe('ECS cluster', () => {
  it('counts an INACTIVE cluster as absent and creates a tagged one', async () => {
    const t = testStack({ stack: 'shop' });
    ecs.on(DescribeClustersCommand).resolves({ clusters: [{ clusterName: 'shop', status: 'INACTIVE', clusterArn: 'arn:c' }] });
    ecs.on(CreateClusterCommand).resolves({ cluster: { clusterName: 'shop', clusterArn: 'arn:c2', status: 'ACTIVE' } });
    const { ctx } = stepContext(t.env);
    expect(await clusterStep.find(ctx)).toBeUndefined();
    expect(await clusterStep.create(ctx)).toEqual({ clusterName: 'shop', clusterArn: 'arn:c2' });
    const input = ecs.commandCalls(CreateClusterCommand)[0]!.args[0].input;
    expect(input.tags).toContainEqual({ key: 'ecs-wizard:stack', value: 'shop' });
    expect(input.settings).toEqual([{ name: 'containerInsights', value: 'disabled' }]);
  });

  it('retries DeleteCluster while container instances remain, until they are gone', async () => {
    // GIVEN instances still deregistering for the first two attempts
    const t = testStack({ stack: 'shop' });
    const instancesLeft = await sdkError(ECSClient, DeleteClusterCommand, 'ClusterContainsContainerInstancesException', 'The Cluster cannot be deleted while Container Instances are active or draining.');
    ecs.on(DeleteClusterCommand).rejectsOnce(instancesLeft).rejectsOnce(instancesLeft).resolves({});
    // (each refusal makes the step look for container instances of terminated hosts: none here, ECS is deregistering them itself)
    ecs.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [] });
    const { ctx, progress } = stepContext(t.env);
    // WHEN destroyed THEN it succeeds on the third attempt, having said what it waited for
    await clusterStep.destroy!(ctx, DEPS.cluster);
    expect(ecs.commandCalls(DeleteClusterCommand)).toHaveLength(3);
    expect(progress[0]).toContain('ClusterContainsContainerInstancesException');
  });

  it('treats a cluster already gone as destroyed', async () => {
    const t = testStack({ stack: 'shop' });
    ecs.on(DeleteClusterCommand).rejects(await sdkError(ECSClient, DeleteClusterCommand, 'ClusterNotFoundException', 'Cluster not found.'));
    await expect(clusterStep.destroy!(stepContext(t.env).ctx, DEPS.cluster)).resolves.toBeUndefined();
  });


});

describe('task definition', () => {
  const registered = (image: string) => ({
    taskDefinitionArn: TD_ARN(2),
    family: 'shop',
    revision: 2,
    networkMode: 'bridge' as const,
    executionRoleArn: DEPS['execution-role'].roleArn,
    containerDefinitions: [
      {
        name: 'app',
        image,
        cpu: 256,
        memory: 512,
        essential: true,
        portMappings: [{ containerPort: 80, hostPort: 0, protocol: 'tcp' as const }],
        environment: [{ name: 'A', value: '1' }],
        mountPoints: [],
        volumesFrom: [],
      },
    ],
  });

  it('reuses the latest ACTIVE revision when its content matches, and wants a new one when it does not', async () => {
    const t = testStack({ stack: 'shop', service: { environment: { A: '1' } } });
    ecs.on(ListTaskDefinitionsCommand).resolves({ taskDefinitionArns: [TD_ARN(1), TD_ARN(2)] });
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: TD_ARN(2) }).resolves({ taskDefinition: registered('nginx:latest') });
    const { ctx } = stepContext(t.env, { outputs: DEPS });
    expect(await taskDefinitionStep.find(ctx)).toEqual({ taskDefinitionArn: TD_ARN(2), family: 'shop', revision: 2 });

    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: TD_ARN(2) }).resolves({ taskDefinition: registered('nginx:1.25') });
    expect(await taskDefinitionStep.find(ctx)).toBeUndefined();
    expect(mutations()).toEqual([]);
  });

  it('registers bridge mode, hostPort 0, the execution role, and the ECR image when there is a repository', async () => {
    const t = testStack({ stack: 'shop', service: { ecrRepository: 'shop/app' } });
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: TD_ARN(3), family: 'shop', revision: 3 } });
    const uri = '123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/app';
    const { ctx } = stepContext(t.env, { outputs: { ...DEPS, 'ecr-repository': { repositoryName: 'shop/app', repositoryUri: uri, repositoryArn: 'arn:r' } } });
    expect(await taskDefinitionStep.create(ctx)).toEqual({ taskDefinitionArn: TD_ARN(3), family: 'shop', revision: 3 });
    const input = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ family: 'shop', networkMode: 'bridge', requiresCompatibilities: ['EC2'], executionRoleArn: DEPS['execution-role'].roleArn });
    expect(input.containerDefinitions![0]).toMatchObject({ name: 'app', image: `${uri}:latest`, portMappings: [{ containerPort: 80, hostPort: 0 }] });
  });

  it('deregisters every ACTIVE revision of the family, then deletes them', async () => {
    const t = testStack({ stack: 'shop' });
    let deregistered = false;
    let deleted = false;
    ecs.on(ListTaskDefinitionsCommand, { status: 'ACTIVE' }).callsFake(() => ({ taskDefinitionArns: deregistered ? [] : [TD_ARN(1), TD_ARN(2)] }));
    ecs.on(ListTaskDefinitionsCommand, { status: 'INACTIVE' }).callsFake(() => ({ taskDefinitionArns: deregistered && !deleted ? [TD_ARN(1), TD_ARN(2)] : [] }));
    ecs.on(DeregisterTaskDefinitionCommand).callsFake(() => ((deregistered = true), {}));
    ecs.on(DeleteTaskDefinitionsCommand).callsFake(() => ((deleted = true), { failures: [] }));
    await taskDefinitionStep.destroy!(stepContext(t.env).ctx, DEPS['task-definition']);
    expect(ecs.commandCalls(DeregisterTaskDefinitionCommand).map((c) => c.args[0].input.taskDefinition)).toEqual([TD_ARN(1), TD_ARN(2)]);
    expect(ecs.commandCalls(DeleteTaskDefinitionsCommand).map((c) => c.args[0].input.taskDefinitions)).toEqual([[TD_ARN(1), TD_ARN(2)]]);
  });

  it('says which revisions AWS would not delete (it reports them among failures, not as an error)', async () => {
    const t = testStack({ stack: 'shop' });
    ecs.on(ListTaskDefinitionsCommand, { status: 'ACTIVE' }).resolves({ taskDefinitionArns: [] });
    ecs.on(ListTaskDefinitionsCommand, { status: 'INACTIVE' }).resolves({ taskDefinitionArns: [TD_ARN(1)] });
    ecs.on(DeleteTaskDefinitionsCommand).resolves({ failures: [{ arn: TD_ARN(1), reason: 'TASK_DEFINITION_IN_USE' }] });
    await expect(taskDefinitionStep.destroy!(stepContext(t.env).ctx, DEPS['task-definition'])).rejects.toThrow(`${TD_ARN(1)} (TASK_DEFINITION_IN_USE)`);
  });
});

describe('ECS service', () => {
  const active = (td: string, extra: Partial<Service> = {}): Service => ({ serviceName: 'shop', serviceArn: 'arn:s', status: 'ACTIVE', taskDefinition: td, desiredCount: 2, runningCount: 2, ...extra });

  it('makes zero mutating calls when the service is current, and moves it to a new revision otherwise', async () => {
    const t = testStack({ stack: 'shop' });
    const { ctx } = stepContext(t.env, { outputs: DEPS });
    ecs.on(DescribeServicesCommand).resolves({ services: [active(TD_ARN(2))] });
    expect(await serviceStep.find(ctx)).toEqual({ serviceName: 'shop', serviceArn: 'arn:s', clusterName: 'shop' });
    expect(mutations()).toEqual([]);

    ecs.on(DescribeServicesCommand).resolves({ services: [active(TD_ARN(1))] });
    ecs.on(UpdateServiceCommand).resolves({ service: active(TD_ARN(2)) });
    await serviceStep.find(ctx);
    expect(ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input).toEqual({ cluster: 'shop', service: 'shop', taskDefinition: TD_ARN(2) });

    // WHEN only looking (dry-run, discover, destroy) THEN it never updates
    ecs.resetHistory();
    expect(await serviceStep.find(stepContext(t.env, { outputs: DEPS, repair: false }).ctx)).toMatchObject({ serviceName: 'shop' });
    expect(mutations()).toEqual([]);
  });

  it('keeps a fixed desired count (auto scaling off) in line with the answers, but leaves it to auto scaling otherwise', async () => {
    // GIVEN a running service of 2 tasks on the current revision
    ecs.on(DescribeServicesCommand).resolves({ services: [active(TD_ARN(2))] });
    ecs.on(UpdateServiceCommand).resolves({ service: active(TD_ARN(2), { desiredCount: 3 }) });
    // WHEN the answers ask for 3 with auto scaling on THEN nothing changes: scaling owns the count
    const scaled = testStack({ stack: 'shop', service: { desiredCount: 3 } });
    await serviceStep.find(stepContext(scaled.env, { outputs: DEPS }).ctx);
    expect(mutations()).toEqual([]);
    // WHEN the answers ask for 3 with a fixed count THEN the service is set to 3
    const fixed = testStack({ stack: 'shop', service: { desiredCount: 3 }, scaling: { service: { enabled: false } } });
    await serviceStep.find(stepContext(fixed.env, { outputs: DEPS }).ctx);
    expect(ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input).toEqual({ cluster: 'shop', service: 'shop', desiredCount: 3 });
  });

  it('counts a DRAINING or INACTIVE service as absent', async () => {
    const t = testStack({ stack: 'shop' });
    ecs.on(DescribeServicesCommand).resolves({ services: [active(TD_ARN(2), { status: 'DRAINING' })] });
    expect(await serviceStep.find(stepContext(t.env, { outputs: DEPS }).ctx)).toBeUndefined();
  });

  it('creates behind the target group on the capacity provider, with the circuit breaker', async () => {
    const t = testStack({ stack: 'shop' });
    ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ reason: 'MISSING' }] });
    ecs.on(CreateServiceCommand).resolves({ service: active(TD_ARN(2)) });
    const cp = { 'capacity-provider': { capacityProviderName: 'cp-shop', capacityProviderArn: 'arn:cp' } };
    await serviceStep.create(stepContext(t.env, { outputs: { ...DEPS, ...cp } }).ctx);
    const input = ecs.commandCalls(CreateServiceCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      cluster: 'shop',
      serviceName: 'shop',
      taskDefinition: TD_ARN(2),
      desiredCount: 2,
      loadBalancers: [{ targetGroupArn: DEPS['target-group'].targetGroupArn, containerName: 'app', containerPort: 80 }],
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true }, minimumHealthyPercent: 100, maximumPercent: 200 },
      healthCheckGracePeriodSeconds: 60,
      capacityProviderStrategy: [{ capacityProvider: 'cp-shop', weight: 1, base: 0 }],
      propagateTags: 'SERVICE',
      enableECSManagedTags: true,
    });
    expect(input.launchType).toBeUndefined();

    // WITHOUT a capacity provider, THEN the EC2 launch type
    ecs.resetHistory();
    await serviceStep.create(stepContext(t.env, { outputs: DEPS }).ctx);
    const plain = ecs.commandCalls(CreateServiceCommand)[0]!.args[0].input;
    expect(plain.launchType).toBe('EC2');
    expect(plain.capacityProviderStrategy).toBeUndefined();
  });

  it('scales to zero and force-deletes; its tail waits until INACTIVE', async () => {
    // GIVEN an ACTIVE service that drains for one check after the delete
    const t = testStack({ stack: 'shop' });
    ecs.on(DescribeServicesCommand)
      .resolvesOnce({ services: [active(TD_ARN(2))] })
      .resolvesOnce({ services: [active(TD_ARN(2), { status: 'DRAINING' })] })
      .resolves({ services: [active(TD_ARN(2), { status: 'INACTIVE' })] });
    ecs.on(UpdateServiceCommand).resolves({});
    ecs.on(DeleteServiceCommand).resolves({});
    const outputs = { serviceName: 'shop', serviceArn: 'arn:s', clusterName: 'shop' };
    // WHEN it is deleted
    await serviceStep.destroy!(stepContext(t.env).ctx, outputs);
    // THEN it was set to 0 and deleted with force, without waiting for the drain
    expect(ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input).toEqual({ cluster: 'shop', service: 'shop', desiredCount: 0 });
    expect(ecs.commandCalls(DeleteServiceCommand)[0]!.args[0].input).toEqual({ cluster: 'shop', service: 'shop', force: true });
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(1);
    // WHEN its tail runs THEN it waits through DRAINING until INACTIVE
    await serviceStep.waitUntilGone!(stepContext(t.env).ctx, outputs);
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(3);
  });

  it('a service already DRAINING is not deleted again', async () => {
    const t = testStack({ stack: 'shop' });
    ecs.on(DescribeServicesCommand).resolves({ services: [active(TD_ARN(2), { status: 'DRAINING' })] });
    await serviceStep.destroy!(stepContext(t.env).ctx, { serviceName: 'shop', serviceArn: 'arn:s', clusterName: 'shop' });
    expect(mutations()).toEqual([]);
  });

  it('waits for running = desired and one completed deployment', async () => {
    const t = testStack({ stack: 'shop' });
    const dep = (rolloutState: 'IN_PROGRESS' | 'COMPLETED', status = 'PRIMARY') => ({ id: status, status, rolloutState });
    ecs.on(DescribeServicesCommand)
      .resolvesOnce({ services: [active(TD_ARN(2), { runningCount: 1, deployments: [dep('IN_PROGRESS'), dep('COMPLETED', 'ACTIVE')] })] })
      .resolvesOnce({ services: [active(TD_ARN(2), { runningCount: 2, deployments: [dep('IN_PROGRESS'), dep('COMPLETED', 'ACTIVE')] })] })
      .resolves({ services: [active(TD_ARN(2), { runningCount: 2, deployments: [dep('COMPLETED')] })] });
    const { ctx, progress } = stepContext(t.env, { outputs: { service: { serviceName: 'shop', serviceArn: 'arn:s', clusterName: 'shop' } } });
    await serviceStableStep.run(ctx);
    expect(progress[0]).toContain('1/2 tasks running');
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(3);
  });

  it('times out in plain words: what is missing is the tasks, while the instances joined', async () => {
    // GIVEN two instances whose agents joined, and a service that never starts a task
    const t = testStack({ stack: 'shop' });
    t.env.timing = { ...FAST_TIMING, timeoutMs: 60 };
    ecs.on(DescribeServicesCommand).resolves({ services: [active(TD_ARN(2), { runningCount: 0, deployments: [{ status: 'PRIMARY', rolloutState: 'IN_PROGRESS' }] })] });
    ecs.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: ['arn:ci/1', 'arn:ci/2'] });
    // WHEN the wait runs out
    const err = await serviceStableStep.run(stepContext(t.env, { outputs: { service: { serviceName: 'shop', serviceArn: 'arn:s', clusterName: 'shop' } } }).ctx).catch((e: unknown) => e);
    // THEN it names the tasks running and the instances that joined (not "0 container instances joined")
    expect(isWizardError(err, 'TIMEOUT')).toBe(true);
    expect((err as Error).message).toMatch(/^The service shop had 0 of 2 tasks running after \d+ s while 2 instances joined cluster shop\.$/);
  });

  it('on timeout with some tasks running and no container instance listed (an emulator), does not blame the agents', async () => {
    const t = testStack({ stack: 'shop' });
    t.env.timing = { ...FAST_TIMING, timeoutMs: 60 };
    ecs.on(DescribeServicesCommand).resolves({ services: [active(TD_ARN(2), { runningCount: 1, deployments: [{ status: 'PRIMARY', rolloutState: 'IN_PROGRESS' }] })] });
    ecs.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [] });
    const err = await serviceStableStep.run(stepContext(t.env, { outputs: { service: { serviceName: 'shop', serviceArn: 'arn:s', clusterName: 'shop' } } }).ctx).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^The service shop had 1 of 2 tasks running after \d+ s while 0 instances joined cluster shop\.$/);
  });

  it('on timeout with every task running, names the deployment that did not finish', async () => {
    // GIVEN a service at its count whose new deployment never completes (an old one still draining)
    const t = testStack({ stack: 'shop' });
    t.env.timing = { ...FAST_TIMING, timeoutMs: 60 };
    const deployments = [
      { status: 'PRIMARY', rolloutState: 'IN_PROGRESS' as const },
      { status: 'ACTIVE', rolloutState: 'COMPLETED' as const },
    ];
    ecs.on(DescribeServicesCommand).resolves({ services: [active(TD_ARN(2), { runningCount: 2, deployments })] });
    // WHEN the wait runs out
    const err = await serviceStableStep.run(stepContext(t.env, { outputs: { service: { serviceName: 'shop', serviceArn: 'arn:s', clusterName: 'shop' } } }).ctx).catch((e: unknown) => e);
    // THEN it says the tasks run and the deployment is what is missing
    expect((err as Error).message).toMatch(/^The service shop runs 2 of 2 tasks, but its deployment had not finished after \d+ s \(2 deployments, the newest IN_PROGRESS\)\.$/);
  });

  it('on timeout with no container instance in the cluster, names the usual causes in plain words', async () => {
    // GIVEN instances whose agents never register, and a short wait
    const t = testStack({ stack: 'shop' });
    t.env.timing = { ...FAST_TIMING, timeoutMs: 60 };
    ecs.on(DescribeServicesCommand).resolves({ services: [active(TD_ARN(2), { runningCount: 0, deployments: [{ status: 'PRIMARY', rolloutState: 'IN_PROGRESS' }] })] });
    ecs.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [] });
    // WHEN the wait runs out
    const err = await serviceStableStep.run(stepContext(t.env, { outputs: { service: { serviceName: 'shop', serviceArn: 'arn:s', clusterName: 'shop' } } }).ctx).catch((e: unknown) => e);
    // THEN the error names the cluster and the three usual causes
    expect(isWizardError(err, 'TIMEOUT')).toBe(true);
    expect((err as Error).message).toMatch(/^0 container instances joined cluster shop in \d+ s \(the service shop has 0 of 2 tasks running\): check the instance profile, user data \(ECS_CLUSTER\), and public IP\/NAT of the instances\.$/);
  });

  it('waits for the listener: the plan puts the listener before the service', () => {
    // A service on a target group that no listener uses fails in AWS.
    const t = testStack({ stack: 'shop' });
    const plan = buildPlan(t.answers);
    const order = topoOrder(plan);
    expect(plan.find((s) => s.id === 'service')!.dependsOn).toContain('listener');
    expect(order.indexOf('listener')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('listener')).toBeLessThan(order.indexOf('service'));
    expect(order.indexOf('cluster')).toBeLessThan(order.indexOf('launch-template'));
  });
});
