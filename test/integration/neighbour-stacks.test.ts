import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeLaunchConfigurationsCommand,
} from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand, CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateTargetGroupCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DeregisterTaskDefinitionCommand, ECSClient, ListTaskDefinitionsCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { AwsClients } from '../../src/aws/clients.js';
import { runCreate } from '../../src/engine/engine.js';
import { destroyStack } from '../../src/destroy/run.js';
import { listStackResources } from '../../src/destroy/inventory.js';
import { autoScalingGroupStep } from '../../src/steps/stack/auto-scaling-group.js';
import { buildPlan } from '../../src/steps/index.js';
import { stackNames } from '../../src/steps/names.js';
import { taskDefinitionStep as taskDefinitionStepFor } from '../../src/steps/service/task-definition.js';
import type { AnswersInput } from '../../src/wizard/schema.js';
import { StackCounter } from '../support/counts.js';
import { startMoto, type Moto } from '../support/moto.js';
import { testStack } from '../support/stack.js';
import { stepContext } from '../support/step-context.js';
import { onPrimary } from '../support/service-steps.js';
const taskDefinitionStep = onPrimary(taskDefinitionStepFor);

/**
 * Teardown that touches only its own stack, on one moto: two stacks whose names are prefixes of
 * each other, the task definition revisions destroy now deletes, and the Auto Scaling group that
 * no longer sits in the target group.
 */
let moto: Moto;
let counter: StackCounter;
const cfg = () => ({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });

beforeAll(async () => {
  moto = await startMoto();
  counter = new StackCounter(moto.endpoint);
}, 60_000);
afterAll(async () => {
  counter?.destroy();
  await moto?.stop();
});

async function createStack(input: Partial<AnswersInput> & { stack: string }) {
  const t = testStack(input, { endpoint: moto.endpoint });
  await t.state.update((s) => Object.assign(s, { answers: t.answers, region: 'us-east-1', endpointUrl: moto.endpoint }));
  const result = await runCreate(buildPlan(t.answers), { env: t.env, state: t.state, wait: false });
  expect(result.results.filter((r) => r.outcome === 'failed').map((r) => `${r.stepId}: ${(r.error as Error)?.message}`)).toEqual([]);
  return t;
}

async function revisions(family: string, status: 'ACTIVE' | 'INACTIVE'): Promise<string[]> {
  const ecs = new ECSClient(cfg());
  try {
    const arns = (await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family, status }))).taskDefinitionArns ?? [];
    return arns.filter((a) => a.split('/').pop()!.replace(/:\d+$/, '') === family);
  } finally {
    ecs.destroy();
  }
}

describe('two stacks named as prefixes of each other ("shop" and "shop-ecs")', () => {
  it('destroying "shop" leaves every resource of "shop-ecs" where it was, its launch configuration "shop-ecs-ecs" included', async () => {
    // GIVEN both stacks in launch-configuration mode (launch configurations carry no tags: only names tell them apart)
    const neighbour = await createStack({ stack: 'shop-ecs', instances: { launch: 'configuration' }, network: { vpcCidr: '10.61.0.0/16', subnetCidrs: ['10.61.0.0/24', '10.61.1.0/24'] } });
    const before = await counter.count('shop-ecs');
    expect(before.launchConfigurations).toBe(1);
    const shop = await createStack({ stack: 'shop', instances: { launch: 'configuration' }, network: { vpcCidr: '10.62.0.0/16', subnetCidrs: ['10.62.0.0/24', '10.62.1.0/24'] } });
    expect((await counter.count('shop')).launchConfigurations).toBe(1);
    // (shop's own revision, deregistered by an earlier deploy, must go too)
    const ecs = new ECSClient(cfg());
    const extra = await ecs.send(new RegisterTaskDefinitionCommand({ family: 'shop', containerDefinitions: [{ name: 'app', image: 'nginx:1', memory: 128 }] }));
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: extra.taskDefinition!.taskDefinitionArn }));
    ecs.destroy();

    // WHEN "shop" is destroyed (its plan, the backstop sweep, the verifying inventory)
    const report = await destroyStack({ env: shop.env, state: shop.state, plan: buildPlan(shop.answers) });

    // THEN "shop" is gone, nothing of it left in any status
    expect(report.leftovers).toEqual([]);
    expect(report.ok).toBe(true);
    expect(Object.entries(await counter.count('shop')).filter(([, n]) => n > 0)).toEqual([]);
    expect(await revisions('shop', 'ACTIVE')).toEqual([]);
    expect(await revisions('shop', 'INACTIVE')).toEqual([]);
    // AND "shop-ecs" has exactly what it had, counted from AWS
    expect(await counter.count('shop-ecs')).toEqual(before);
    const as = new AutoScalingClient(cfg());
    expect((await as.send(new DescribeLaunchConfigurationsCommand({ LaunchConfigurationNames: ['shop-ecs-ecs'] }))).LaunchConfigurations).toHaveLength(1);
    as.destroy();
    expect(await revisions('shop-ecs', 'ACTIVE')).toHaveLength(1);
    // AND the tool's own inventory of "shop-ecs" still lists all of it
    expect((await listStackResources(neighbour.aws, stackNames('shop-ecs'))).map((l) => l.type)).toContain('launch-configuration');
    neighbour.aws.destroy();
    shop.aws.destroy();
  });
});

describe('task definitions', () => {
  it('destroy deregisters the family\'s revisions, then deletes them, and leaves another family alone', async () => {
    // GIVEN family "tdx" with one ACTIVE and one INACTIVE revision, and family "tdx-other"
    const ecs = new ECSClient(cfg());
    const def = (family: string) => new RegisterTaskDefinitionCommand({ family, containerDefinitions: [{ name: 'app', image: 'nginx:1', memory: 128 }] });
    const old = await ecs.send(new RegisterTaskDefinitionCommand({ family: 'tdx', containerDefinitions: [{ name: 'app', image: 'nginx:0', memory: 128 }] }));
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: old.taskDefinition!.taskDefinitionArn }));
    await ecs.send(def('tdx'));
    await ecs.send(def('tdx-other'));
    ecs.destroy();
    expect(await revisions('tdx', 'INACTIVE')).toHaveLength(1);
    const t = testStack({ stack: 'tdx' }, { endpoint: moto.endpoint });

    // WHEN the task definition step destroys the family
    await taskDefinitionStep.destroy!(stepContext(t.env).ctx, { family: 'tdx' });

    // THEN no revision of it is left, ACTIVE or INACTIVE, the deregister came before the delete, and the other family is untouched
    expect(await revisions('tdx', 'ACTIVE')).toEqual([]);
    expect(await revisions('tdx', 'INACTIVE')).toEqual([]);
    const ops = t.log.mutating.map((c) => c.operation);
    expect(ops).toEqual(['DeregisterTaskDefinition', 'DeleteTaskDefinitions']);
    expect(await revisions('tdx-other', 'ACTIVE')).toHaveLength(1);
    t.aws.destroy();
  });
});

describe('the Auto Scaling group and the target group', () => {
  it('a rerun detaches the stack\'s target group from a group an earlier version attached, then changes nothing', async () => {
    // GIVEN a group made the old way: attached to the stack's target group
    const ec2 = new EC2Client(cfg());
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.63.0.0/16' }))).Vpc!.VpcId!;
    const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.63.0.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
    const lt = (await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'tgold-ecs', LaunchTemplateData: { ImageId: 'ami-12c6146b', InstanceType: 't3.small' } }))).LaunchTemplate!;
    ec2.destroy();
    const elb = new ElasticLoadBalancingV2Client(cfg());
    const tg = (await elb.send(new CreateTargetGroupCommand({ Name: 'tgold-tg', Protocol: 'HTTP', Port: 80, VpcId: vpcId, TargetType: 'instance' }))).TargetGroups![0]!;
    elb.destroy();
    const as = new AutoScalingClient(cfg());
    await as.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: 'tgold-ecs',
        LaunchTemplate: { LaunchTemplateId: lt.LaunchTemplateId, Version: '$Latest' },
        MinSize: 1,
        MaxSize: 4,
        DesiredCapacity: 1,
        VPCZoneIdentifier: subnet,
        TargetGroupARNs: [tg.TargetGroupArn!],
      }),
    );
    const t = testStack({ stack: 'tgold' }, { endpoint: moto.endpoint });

    // WHEN a rerun finds the group
    await autoScalingGroupStep.find(stepContext(t.env, { repair: true }).ctx);

    // THEN the group is no longer in the target group
    const group = (await as.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['tgold-ecs'] }))).AutoScalingGroups![0]!;
    expect(group.TargetGroupARNs ?? []).toEqual([]);
    expect(t.log.mutating.map((c) => c.operation)).toEqual(['DetachLoadBalancerTargetGroups']);
    // AND the next rerun makes no change at all
    t.log.clear();
    await autoScalingGroupStep.find(stepContext(t.env, { repair: true }).ctx);
    expect(t.log.mutating).toEqual([]);
    as.destroy();
    t.aws.destroy();
  });
});
