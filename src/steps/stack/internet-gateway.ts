import {
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  DeleteInternetGatewayCommand,
  DescribeInternetGatewaysCommand,
  DetachInternetGatewayCommand,
  EC2Client,
  type InternetGateway,
} from '@aws-sdk/client-ec2';
import { WizardError } from '../../errors.js';
import { unlessNotFound } from '../../aws/errors.js';
import { STACK_TAG } from '../../aws/tags.js';
import type { ResourceStep, StepContext } from '../../engine/types.js';
import { deleteIgnoringNotFound, noteCreated, whileNotYetVisible } from '../common.js';
import type { StackEnv } from '../env.js';
import type { InternetGatewayOutputs, VpcOutputs } from '../outputs.js';

function describeGateway(ec2: EC2Client, id: string): Promise<InternetGateway | undefined> {
  return unlessNotFound(async () => (await ec2.send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: [id] }))).InternetGateways?.[0]);
}

/** By recorded id, then by the stack tag. */
async function stackGateway(ctx: StepContext<StackEnv>, ec2: EC2Client): Promise<InternetGateway | undefined> {
  const recordedId = ctx.recorded?.internetGatewayId as string | undefined;
  const igw = recordedId ? await describeGateway(ec2, recordedId) : undefined;
  if (igw) return igw;
  const r = await ec2.send(
    new DescribeInternetGatewaysCommand({ Filters: [{ Name: `tag:${STACK_TAG}`, Values: [ctx.env.names.stack] }] }),
  );
  return r.InternetGateways?.[0];
}

function attachedVpcs(igw: InternetGateway): string[] {
  return (igw.Attachments ?? []).filter((a) => a.State !== 'detached' && a.State !== 'detaching').map((a) => a.VpcId!);
}

/** Attaches the gateway to the stack's VPC unless it already is (a create cut short leaves it detached). */
async function ensureAttached(ctx: StepContext<StackEnv>, ec2: EC2Client, igw: InternetGateway): Promise<InternetGatewayOutputs> {
  const { vpcId } = ctx.output<VpcOutputs>('vpc');
  const id = igw.InternetGatewayId!;
  const vpcs = attachedVpcs(igw);
  if (vpcs.some((v) => v !== vpcId)) {
    throw new WizardError('DRIFT', `Internet gateway ${id} of stack "${ctx.env.names.stack}" is attached to ${vpcs.join(', ')}, not to the stack's VPC ${vpcId}.`, {
      hint: `Detach it, or run \`ecs-wizard destroy ${ctx.env.names.stack}\` first to rebuild the stack.`,
    });
  }
  // A gateway this run just made may not be visible yet: its NotFound means "not yet".
  if (!vpcs.includes(vpcId)) await whileNotYetVisible(ctx, [id, vpcId], () => ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: id, VpcId: vpcId })));
  return { internetGatewayId: id };
}

/** The stack's internet gateway, attached to its VPC: the public subnets' way out. */
export const internetGatewayStep: ResourceStep<StackEnv> = {
  id: 'internet-gateway',
  title: 'Internet gateway',
  dependsOn: ['vpc'],
  async find(ctx) {
    const ec2 = ctx.env.aws.get(EC2Client);
    const igw = await stackGateway(ctx, ec2);
    if (!igw?.InternetGatewayId) return undefined;
    return ctx.repair ? { ...(await ensureAttached(ctx, ec2, igw)) } : ({ internetGatewayId: igw.InternetGatewayId } satisfies InternetGatewayOutputs);
  },
  async create(ctx) {
    const ec2 = ctx.env.aws.get(EC2Client);
    const r = await ec2.send(
      new CreateInternetGatewayCommand({
        TagSpecifications: [{ ResourceType: 'internet-gateway', Tags: ctx.env.tags(ctx.env.names.internetGateway) }],
      }),
    );
    const igw = r.InternetGateway!;
    await ctx.note({ internetGatewayId: igw.InternetGatewayId! });
    noteCreated(ctx, igw.InternetGatewayId!);
    return { ...(await ensureAttached(ctx, ec2, igw)) };
  },
  async destroy(ctx, outputs) {
    const ec2 = ctx.env.aws.get(EC2Client);
    const id = outputs.internetGatewayId as string;
    const igw = await describeGateway(ec2, id);
    if (!igw) return;
    // Detaching fails with DependencyViolation while public IPs are still mapped in the VPC
    // (instances and ALB nodes going away): retried, like the delete.
    for (const vpcId of attachedVpcs(igw)) {
      await deleteIgnoringNotFound(ctx, () => ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: id, VpcId: vpcId })), `internet gateway ${id} to detach from ${vpcId}`);
    }
    await deleteIgnoringNotFound(ctx, () => ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: id })), `internet gateway ${id} to be free`);
  },
};
