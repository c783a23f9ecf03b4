import {
  AssociateRouteTableCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  DeleteRouteTableCommand,
  DescribeRouteTablesCommand,
  DisassociateRouteTableCommand,
  EC2Client,
  ReplaceRouteCommand,
  type RouteTable,
} from '@aws-sdk/client-ec2';
import { unlessNotFound } from '../../aws/errors.js';
import { STACK_TAG } from '../../aws/tags.js';
import type { ResourceStep, StepContext } from '../../engine/types.js';
import { deleteIgnoringNotFound, noteCreated, whileNotYetVisible } from '../common.js';
import type { StackEnv } from '../env.js';
import type { InternetGatewayOutputs, RouteTableOutputs, SubnetsOutputs, VpcOutputs } from '../outputs.js';

type Ctx = StepContext<StackEnv>;

export const DEFAULT_ROUTE = '0.0.0.0/0';

function describeTable(ec2: EC2Client, id: string): Promise<RouteTable | undefined> {
  return unlessNotFound(async () => (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [id] }))).RouteTables?.[0]);
}

/** By recorded id, then by the stack tag and its Name in the stack's VPC. */
async function stackTable(ctx: Ctx, ec2: EC2Client): Promise<RouteTable | undefined> {
  const recordedId = ctx.recorded?.routeTableId as string | undefined;
  const table = recordedId ? await describeTable(ec2, recordedId) : undefined;
  if (table) return table;
  const { vpcId } = ctx.output<VpcOutputs>('vpc');
  const r = await ec2.send(
    new DescribeRouteTablesCommand({
      Filters: [
        { Name: `tag:${STACK_TAG}`, Values: [ctx.env.names.stack] },
        // By Name too: the private subnets' route tables carry the stack tag as well.
        { Name: 'tag:Name', Values: [ctx.env.names.routeTable] },
        { Name: 'vpc-id', Values: [vpcId] },
      ],
    }),
  );
  return r.RouteTables?.[0];
}

/** Explicit (non-main) associations of the table, by subnet id. */
function associations(table: RouteTable): Map<string, string> {
  const bySubnet = new Map<string, string>();
  for (const a of table.Associations ?? []) {
    const state = a.AssociationState?.State;
    if (a.SubnetId && a.RouteTableAssociationId && !a.Main && state !== 'disassociated' && state !== 'disassociating') {
      bySubnet.set(a.SubnetId, a.RouteTableAssociationId);
    }
  }
  return bySubnet;
}

function outputsOf(ctx: Ctx, table: RouteTable): RouteTableOutputs {
  const { subnetIds } = ctx.output<SubnetsOutputs>('subnets');
  const bySubnet = associations(table);
  return { routeTableId: table.RouteTableId!, associationIds: subnetIds.map((s) => bySubnet.get(s)).filter((a): a is string => a !== undefined) };
}

/**
 * Makes the table route 0.0.0.0/0 to the stack's gateway and serve every subnet, adding only what
 * is missing — so a resume repairs the table it made instead of making a second one.
 */
async function ensureRoutes(ctx: Ctx, ec2: EC2Client, table: RouteTable): Promise<RouteTableOutputs> {
  const routeTableId = table.RouteTableId!;
  const { internetGatewayId } = ctx.output<InternetGatewayOutputs>('internet-gateway');
  const route = table.Routes?.find((r) => r.DestinationCidrBlock === DEFAULT_ROUTE);
  // A table (or gateway) this run just made may not be visible yet: those NotFounds mean "not yet".
  const named = [routeTableId, internetGatewayId];
  if (!route) {
    await whileNotYetVisible(ctx, named, () => ec2.send(new CreateRouteCommand({ RouteTableId: routeTableId, DestinationCidrBlock: DEFAULT_ROUTE, GatewayId: internetGatewayId })));
  } else if (route.GatewayId !== internetGatewayId || route.State === 'blackhole') {
    // A route to a gateway that was replaced is a blackhole: point it at the current one.
    await ec2.send(new ReplaceRouteCommand({ RouteTableId: routeTableId, DestinationCidrBlock: DEFAULT_ROUTE, GatewayId: internetGatewayId }));
  }
  const { subnetIds } = ctx.output<SubnetsOutputs>('subnets');
  const bySubnet = associations(table);
  const associationIds: string[] = [];
  for (const subnetId of subnetIds) {
    let id = bySubnet.get(subnetId);
    if (!id) {
      const r = await whileNotYetVisible(ctx, [routeTableId, subnetId], () => ec2.send(new AssociateRouteTableCommand({ RouteTableId: routeTableId, SubnetId: subnetId })));
      id = r.AssociationId!;
    }
    associationIds.push(id);
  }
  return { routeTableId, associationIds };
}

/** The public route table: 0.0.0.0/0 → the internet gateway, associated with every subnet. */
export const routeTableStep: ResourceStep<StackEnv> = {
  id: 'route-table',
  title: 'Route table',
  dependsOn: ['vpc', 'subnets', 'internet-gateway'],
  async find(ctx) {
    const ec2 = ctx.env.aws.get(EC2Client);
    const table = await stackTable(ctx, ec2);
    if (!table?.RouteTableId) return undefined;
    return { ...(ctx.repair ? await ensureRoutes(ctx, ec2, table) : outputsOf(ctx, table)) };
  },
  async create(ctx) {
    const ec2 = ctx.env.aws.get(EC2Client);
    const r = await ec2.send(
      new CreateRouteTableCommand({
        VpcId: ctx.output<VpcOutputs>('vpc').vpcId,
        TagSpecifications: [{ ResourceType: 'route-table', Tags: ctx.env.tags(ctx.env.names.routeTable) }],
      }),
    );
    const table = r.RouteTable!;
    await ctx.note({ routeTableId: table.RouteTableId!, associationIds: [] });
    noteCreated(ctx, table.RouteTableId!);
    return { ...(await ensureRoutes(ctx, ec2, table)) };
  },
  async destroy(ctx, outputs) {
    const ec2 = ctx.env.aws.get(EC2Client);
    const id = outputs.routeTableId as string;
    const table = await describeTable(ec2, id);
    if (!table) return;
    // A table with explicit associations cannot be deleted.
    for (const associationId of associations(table).values()) {
      await deleteIgnoringNotFound(ctx, () => ec2.send(new DisassociateRouteTableCommand({ AssociationId: associationId })), `association ${associationId} to go`);
    }
    await deleteIgnoringNotFound(ctx, () => ec2.send(new DeleteRouteTableCommand({ RouteTableId: id })), `route table ${id} to be free`);
  },
};
