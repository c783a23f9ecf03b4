import {
  CreateVpcCommand,
  DeleteVpcCommand,
  DescribeVpcsCommand,
  EC2Client,
  ModifyVpcAttributeCommand,
  waitUntilVpcAvailable,
  type Vpc,
} from '@aws-sdk/client-ec2';
import { WizardError } from '../../errors.js';
import { unlessNotFound } from '../../aws/errors.js';
import { STACK_TAG } from '../../aws/tags.js';
import type { ResourceStep } from '../../engine/types.js';
import { deleteIgnoringNotFound } from '../common.js';
import type { StackEnv } from '../env.js';
import type { VpcOutputs } from '../outputs.js';

function describeVpc(ec2: EC2Client, vpcId: string): Promise<Vpc | undefined> {
  return unlessNotFound(async () => (await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }))).Vpcs?.[0]);
}

/** The stack's own VPC: found by recorded id, then by the stack tag; created with DNS hostnames on. */
export const vpcStep: ResourceStep<StackEnv> = {
  id: 'vpc',
  title: 'VPC',
  dependsOn: [],
  async find(ctx) {
    const ec2 = ctx.env.aws.get(EC2Client);
    const wanted = ctx.env.answers.network.vpcCidr;
    const recordedId = ctx.recorded?.vpcId as string | undefined;
    let vpc = recordedId ? await describeVpc(ec2, recordedId) : undefined;
    if (!vpc) {
      const r = await ec2.send(
        new DescribeVpcsCommand({ Filters: [{ Name: `tag:${STACK_TAG}`, Values: [ctx.env.names.stack] }] }),
      );
      vpc = r.Vpcs?.[0];
    }
    if (!vpc?.VpcId) return undefined;
    if (vpc.CidrBlock !== wanted) {
      throw new WizardError(
        'DRIFT',
        `VPC ${vpc.VpcId} of stack "${ctx.env.names.stack}" has CIDR ${vpc.CidrBlock}, but the answers ask for ${wanted}. A VPC's CIDR cannot change.`,
        { hint: `Keep network.vpcCidr: ${vpc.CidrBlock}, or run \`ecs-wizard destroy ${ctx.env.names.stack}\` first to rebuild the stack.` },
      );
    }
    return { vpcId: vpc.VpcId, cidr: vpc.CidrBlock } satisfies VpcOutputs;
  },
  async create(ctx) {
    const ec2 = ctx.env.aws.get(EC2Client);
    const r = await ec2.send(
      new CreateVpcCommand({
        CidrBlock: ctx.env.answers.network.vpcCidr,
        TagSpecifications: [{ ResourceType: 'vpc', Tags: ctx.env.tags(ctx.env.names.vpc) }],
      }),
    );
    const vpcId = r.Vpc!.VpcId!;
    await ctx.note({ vpcId, cidr: ctx.env.answers.network.vpcCidr });
    ctx.progress('waiting for the VPC to become available');
    await waitUntilVpcAvailable({ client: ec2, maxWaitTime: 120, minDelay: 1, maxDelay: 5, abortSignal: ctx.signal }, { VpcIds: [vpcId] });
    // Instances need public DNS names for the ECS agent and the ALB's targets.
    await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));
    return { vpcId, cidr: ctx.env.answers.network.vpcCidr } satisfies VpcOutputs;
  },
  async destroy(ctx, outputs) {
    const ec2 = ctx.env.aws.get(EC2Client);
    await deleteIgnoringNotFound(ctx, () => ec2.send(new DeleteVpcCommand({ VpcId: outputs.vpcId as string })), `the VPC ${String(outputs.vpcId)} to be free of dependencies`);
  },
};

/** An existing VPC the user chose: verified, recorded, never created or deleted. */
export const existingVpcStep: ResourceStep<StackEnv> = {
  id: 'vpc',
  title: 'VPC (existing)',
  dependsOn: [],
  external: true,
  async find(ctx) {
    const vpcId = ctx.env.answers.network.vpcId!;
    const vpc = await describeVpc(ctx.env.aws.get(EC2Client), vpcId);
    if (!vpc?.VpcId) {
      throw new WizardError('INPUT_INVALID', `network.vpcId: VPC ${vpcId} does not exist in ${ctx.env.region}.`, {
        problems: [{ path: 'network.vpcId', message: `VPC ${vpcId} does not exist in ${ctx.env.region}` }],
        hint: 'Check the id and the region, or leave vpcId and subnetIds out to create a new VPC.',
      });
    }
    return { vpcId: vpc.VpcId, cidr: vpc.CidrBlock ?? '' } satisfies VpcOutputs;
  },
  async create() {
    throw new WizardError('INPUT_INVALID', 'An existing VPC is never created.');
  },
};
