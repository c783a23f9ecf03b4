import {
  AssociateRouteTableCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  DeleteRouteTableCommand,
  DescribeRouteTablesCommand,
  DisassociateRouteTableCommand,
  EC2Client,
  ReplaceRouteCommand,
  ReplaceRouteTableAssociationCommand,
  type Filter,
  type RouteTable,
} from '@aws-sdk/client-ec2';
import { STACK_TAG } from '../../aws/tags.js';
import type { ResourceStep, StepContext } from '../../engine/types.js';
import { deleteIgnoringNotFound, noteCreated, whileNotYetVisible } from '../common.js';
import type { StackEnv } from '../env.js';
import type { NatGatewaysOutputs, PrivateRouteTablesOutputs, PrivateSubnetsOutputs, VpcOutputs } from '../outputs.js';
import { DEFAULT_ROUTE } from './route-table.js';

type Ctx = StepContext<StackEnv>;

async function describeTables(ec2: EC2Client, filters: Filter[]): Promise<RouteTable[]> {
  return (await ec2.send(new DescribeRouteTablesCommand({ Filters: filters }))).RouteTables ?? [];
}

/** Explicit, live associations of a table: subnet id → association id. */
function associations(table: RouteTable): Map<string, string> {
  const bySubnet = new Map<string, string>();
  for (const a of table.Associations ?? []) {
    const state = a.AssociationState?.State;
    if (a.SubnetId && a.RouteTableAssociationId && !a.Main && state !== 'disassociated' && state !== 'disassociating') bySubnet.set(a.SubnetId, a.RouteTableAssociationId);
  }
  return bySubnet;
}

/** The stack's private route tables, by recorded ids then by tag and Name, each at its index (table i routes to NAT i). */
async function stackTables(ctx: Ctx, ec2: EC2Client): Promise<Map<number, RouteTable>> {
  const { names } = ctx.env;
  const count = ctx.env.answers.network.natGateways ?? 0;
  const { vpcId } = ctx.output<VpcOutputs>('vpc');
  const wantedNames = Array.from({ length: count }, (_, i) => names.privateRouteTable(i));
  const recorded = (ctx.recorded?.routeTableIds as string[] | undefined) ?? [];
  const found = recorded.length ? await describeTables(ec2, [{ Name: 'route-table-id', Values: recorded }]) : [];
  if (found.length < count) {
    const byTag = await describeTables(ec2, [
      { Name: `tag:${STACK_TAG}`, Values: [names.stack] },
      { Name: 'tag:Name', Values: wantedNames },
      { Name: 'vpc-id', Values: [vpcId] },
    ]);
    for (const t of byTag) if (!found.some((f) => f.RouteTableId === t.RouteTableId)) found.push(t);
  }
  const placed = new Map<number, RouteTable>();
  for (const t of found) {
    const byName = wantedNames.indexOf(t.Tags?.find((x) => x.Key === 'Name')?.Value ?? '');
    const index = byName >= 0 ? byName : recorded.indexOf(t.RouteTableId!);
    if (index >= 0 && index < count && !placed.has(index)) placed.set(index, t);
  }
  return placed;
}

function outputsOf(placed: Map<number, RouteTable>): PrivateRouteTablesOutputs {
  const tables = [...placed.entries()].sort(([a], [b]) => a - b).map(([, t]) => t);
  return { routeTableIds: tables.map((t) => t.RouteTableId!), associationIds: tables.flatMap((t) => [...associations(t).values()]) };
}

/**
 * Brings the tables to the answers, changing only what differs: table i exists and routes
 * 0.0.0.0/0 to NAT gateway i; private subnet j is associated with table j (one table per NAT) or
 * with table 0 (one NAT for all). A subnet associated with another of the stack's tables (the NAT
 * count was raised) is moved with ReplaceRouteTableAssociation.
 */
async function ensureTables(ctx: Ctx, ec2: EC2Client, placed: Map<number, RouteTable>): Promise<PrivateRouteTablesOutputs> {
  const count = ctx.env.answers.network.natGateways ?? 0;
  const { vpcId } = ctx.output<VpcOutputs>('vpc');
  const { natGatewayIds } = ctx.output<NatGatewaysOutputs>('nat-gateways');
  const { subnetIds } = ctx.output<PrivateSubnetsOutputs>('private-subnets');
  for (let index = 0; index < count; index++) {
    let table = placed.get(index);
    if (!table) {
      const r = await ec2.send(
        new CreateRouteTableCommand({ VpcId: vpcId, TagSpecifications: [{ ResourceType: 'route-table', Tags: ctx.env.tags(ctx.env.names.privateRouteTable(index)) }] }),
      );
      table = r.RouteTable!;
      placed.set(index, table);
      noteCreated(ctx, table.RouteTableId!);
      await ctx.note({ ...outputsOf(placed) });
    }
    const tableId = table.RouteTableId!;
    const natId = natGatewayIds[index]!;
    const route = table.Routes?.find((r) => r.DestinationCidrBlock === DEFAULT_ROUTE);
    // A table or NAT gateway this run just made may not be visible yet: those NotFounds mean "not yet".
    if (!route) {
      await whileNotYetVisible(ctx, [tableId, natId], () => ec2.send(new CreateRouteCommand({ RouteTableId: tableId, DestinationCidrBlock: DEFAULT_ROUTE, NatGatewayId: natId })));
    } else if (route.NatGatewayId !== natId || route.State === 'blackhole') {
      await whileNotYetVisible(ctx, [natId], () => ec2.send(new ReplaceRouteCommand({ RouteTableId: tableId, DestinationCidrBlock: DEFAULT_ROUTE, NatGatewayId: natId })));
    }
  }
  const current = new Map<string, { tableIndex: number; associationId: string }>();
  for (const [i, t] of placed) for (const [subnet, associationId] of associations(t)) current.set(subnet, { tableIndex: i, associationId });
  let changed = false;
  for (const [j, subnetId] of subnetIds.entries()) {
    const want = count === 1 ? 0 : j;
    const tableId = placed.get(want)!.RouteTableId!;
    const now = current.get(subnetId);
    if (now?.tableIndex === want) continue;
    changed = true;
    if (now) await ec2.send(new ReplaceRouteTableAssociationCommand({ AssociationId: now.associationId, RouteTableId: tableId }));
    else await whileNotYetVisible(ctx, [tableId, subnetId], () => ec2.send(new AssociateRouteTableCommand({ RouteTableId: tableId, SubnetId: subnetId })));
  }
  if (!changed) return outputsOf(placed);
  // Read back once, so the outputs hold the associations AWS now has.
  const ids = [...placed.values()].map((t) => t.RouteTableId!);
  for (const t of await describeTables(ec2, [{ Name: 'route-table-id', Values: ids }])) {
    const index = [...placed.entries()].find(([, p]) => p.RouteTableId === t.RouteTableId)![0];
    placed.set(index, t);
  }
  return outputsOf(placed);
}

/**
 * The private subnets' route tables, one per NAT gateway: 0.0.0.0/0 → the NAT gateway. The NAT
 * gateways may be deleted before these tables (AWS leaves a blackhole route, which is fine while
 * the stack goes), so their slow deletion starts at once instead of after the hosts terminate.
 */
export const privateRouteTablesStep: ResourceStep<StackEnv> = {
  id: 'private-route-tables',
  title: 'Private route tables',
  dependsOn: ['vpc', 'private-subnets', 'nat-gateways'],
  teardown: { mayGoFirst: ['nat-gateways'] },
  async find(ctx) {
    const ec2 = ctx.env.aws.get(EC2Client);
    const placed = await stackTables(ctx, ec2);
    if (!placed.size) return undefined;
    return { ...(ctx.repair ? await ensureTables(ctx, ec2, placed) : outputsOf(placed)) };
  },
  async create(ctx) {
    const ec2 = ctx.env.aws.get(EC2Client);
    return { ...(await ensureTables(ctx, ec2, new Map())) };
  },
  async destroy(ctx, outputs) {
    const ec2 = ctx.env.aws.get(EC2Client);
    const ids = (outputs.routeTableIds as string[] | undefined) ?? [];
    if (!ids.length) return;
    for (const table of await describeTables(ec2, [{ Name: 'route-table-id', Values: ids }])) {
      const id = table.RouteTableId!;
      // A table with explicit associations cannot be deleted.
      for (const associationId of associations(table).values()) {
        await deleteIgnoringNotFound(ctx, () => ec2.send(new DisassociateRouteTableCommand({ AssociationId: associationId })), `association ${associationId} to go`);
      }
      await deleteIgnoringNotFound(ctx, () => ec2.send(new DeleteRouteTableCommand({ RouteTableId: id })), `route table ${id} to be free`);
    }
  },
};
