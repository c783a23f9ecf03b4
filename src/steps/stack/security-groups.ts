import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
  type IpPermission,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import { unlessNotFound } from '../../aws/errors.js';
import { STACK_TAG } from '../../aws/tags.js';
import type { ResourceStep, StepContext, Teardown } from '../../engine/types.js';
import { httpsOn, type Answers } from '../../wizard/schema.js';
import { HTTP_PORT } from '../url.js';
import { deleteIgnoringNotFound, noteCreated, whileNotYetVisible } from '../common.js';
import type { StackEnv } from '../env.js';
import type { SecurityGroupOutputs, VpcOutputs } from '../outputs.js';
import { usesServiceConnect } from '../service/service-connect.js';

type Ctx = StepContext<StackEnv>;

/**
 * One ingress rule: a port range from one source (a CIDR or another security group). AWS groups
 * rules into IpPermissions; comparing single rules keeps the diff simple and exact.
 */
export interface IngressRule {
  protocol: string;
  fromPort: number;
  toPort: number;
  cidr?: string;
  ipv6Cidr?: string;
  groupId?: string;
  prefixListId?: string;
  description?: string;
  /** A described rule's description exactly as EC2 holds it (a revoke names it so: moto matches a group pair only with it). */
  described?: string;
}

/** The range Docker maps container ports to in bridge mode with hostPort 0 (dynamic ports). */
export const DYNAMIC_PORTS = { from: 32768, to: 65535 };

/** The load balancer's SG: the listener port (and :80 for the HTTP → HTTPS redirect), from each allowed CIDR, nothing else. */
export function albIngressRules(answers: Answers): IngressRule[] {
  const port = answers.loadBalancer.listenerPort;
  const rules = answers.loadBalancer.ingressCidrs.map((cidr): IngressRule => ({ protocol: 'tcp', fromPort: port, toPort: port, cidr, description: 'listener' }));
  if (httpsOn(answers.loadBalancer) && answers.loadBalancer.redirectHttp) {
    rules.push(...answers.loadBalancer.ingressCidrs.map((cidr): IngressRule => ({ protocol: 'tcp', fromPort: HTTP_PORT, toPort: HTTP_PORT, cidr, description: 'HTTP to HTTPS redirect' })));
  }
  return rules;
}

/**
 * The instances' SG: the dynamic host ports from the load balancer's SG only (never from a CIDR),
 * and SSH only when the user asked for it with instances.sshCidr.
 */
export function instanceIngressRules(answers: Answers, albGroupId: string, ownGroupId?: string): IngressRule[] {
  const rules: IngressRule[] = [
    { protocol: 'tcp', fromPort: DYNAMIC_PORTS.from, toPort: DYNAMIC_PORTS.to, groupId: albGroupId, description: 'container host ports from the load balancer' },
  ];
  // Service Connect in bridge mode: a service's proxy listens on its task's dynamic host port, and the
  // other services' proxies call it there from their own hosts — the same range, host to host.
  if (ownGroupId !== undefined && usesServiceConnect(answers)) {
    rules.push({ protocol: 'tcp', fromPort: DYNAMIC_PORTS.from, toPort: DYNAMIC_PORTS.to, groupId: ownGroupId, description: 'Service Connect proxies on the host ports, host to host' });
  }
  const ssh = answers.instances.sshCidr;
  if (ssh !== undefined) rules.push({ protocol: 'tcp', fromPort: 22, toPort: 22, cidr: ssh, description: 'SSH' });
  return rules;
}

function ruleKey(r: IngressRule): string {
  const source = r.cidr ?? (r.ipv6Cidr && `v6:${r.ipv6Cidr}`) ?? (r.groupId && `sg:${r.groupId}`) ?? `pl:${r.prefixListId}`;
  return `${r.protocol}:${r.fromPort}-${r.toPort}:${source}`;
}

/** AWS's grouped permissions, split into single rules. */
export function rulesOf(permissions: IpPermission[]): IngressRule[] {
  const rules: IngressRule[] = [];
  for (const p of permissions) {
    const base = { protocol: p.IpProtocol ?? '-1', fromPort: p.FromPort ?? -1, toPort: p.ToPort ?? -1 };
    for (const r of p.IpRanges ?? []) rules.push({ ...base, cidr: r.CidrIp });
    for (const r of p.Ipv6Ranges ?? []) rules.push({ ...base, ipv6Cidr: r.CidrIpv6 });
    for (const g of p.UserIdGroupPairs ?? []) rules.push({ ...base, groupId: g.GroupId, ...(g.Description !== undefined ? { described: g.Description } : {}) });
    for (const l of p.PrefixListIds ?? []) rules.push({ ...base, prefixListId: l.PrefixListId });
  }
  return rules;
}

function permissionOf(r: IngressRule): IpPermission {
  const desc = r.described !== undefined ? { Description: r.described } : r.description ? { Description: `ecs-wizard: ${r.description}` } : {};
  return {
    IpProtocol: r.protocol,
    FromPort: r.fromPort,
    ToPort: r.toPort,
    ...(r.cidr ? { IpRanges: [{ CidrIp: r.cidr, ...desc }] } : {}),
    ...(r.ipv6Cidr ? { Ipv6Ranges: [{ CidrIpv6: r.ipv6Cidr }] } : {}),
    ...(r.groupId ? { UserIdGroupPairs: [{ GroupId: r.groupId, ...desc }] } : {}),
    ...(r.prefixListId ? { PrefixListIds: [{ PrefixListId: r.prefixListId }] } : {}),
  };
}

/** What to add and what to take away so that the group allows exactly `wanted`. */
export function diffRules(actual: IngressRule[], wanted: IngressRule[]): { authorize: IngressRule[]; revoke: IngressRule[] } {
  const have = new Set(actual.map(ruleKey));
  const want = new Set(wanted.map(ruleKey));
  return { authorize: wanted.filter((r) => !have.has(ruleKey(r))), revoke: actual.filter((r) => !want.has(ruleKey(r))) };
}

function describeGroup(ec2: EC2Client, groupId: string): Promise<SecurityGroup | undefined> {
  return unlessNotFound(async () => (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }))).SecurityGroups?.[0]);
}

/** Makes the group's ingress exactly `wanted`; no call at all when it already is. */
async function syncIngress(ctx: Ctx, ec2: EC2Client, group: SecurityGroup, wanted: IngressRule[]): Promise<void> {
  const { authorize, revoke } = diffRules(rulesOf(group.IpPermissions ?? []), wanted);
  // Revoke first: a rule replaced by a narrower one must not leave both open, even briefly.
  if (revoke.length) await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: group.GroupId, IpPermissions: revoke.map(permissionOf) }));
  if (!authorize.length) return;
  // Just created, the group — or the load balancer's group a rule names — may not be visible yet.
  const named = [group.GroupId, ...authorize.map((r) => r.groupId)];
  await whileNotYetVisible(ctx, named, () => ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: group.GroupId, IpPermissions: authorize.map(permissionOf) })));
}

/** Revokes the ingress rules of the stack's other groups whose source is `groupId`. */
async function revokeReferencesTo(ctx: Ctx, ec2: EC2Client, groupId: string): Promise<void> {
  const r = await ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: 'ip-permission.group-id', Values: [groupId] },
        { Name: `tag:${STACK_TAG}`, Values: [ctx.env.names.stack] },
      ],
    }),
  );
  for (const group of r.SecurityGroups ?? []) {
    if (group.GroupId === groupId) continue;
    // The pairs exactly as described (with their UserId and description), so any EC2 matches them.
    const naming = (group.IpPermissions ?? [])
      .map((p) => ({ IpProtocol: p.IpProtocol, FromPort: p.FromPort, ToPort: p.ToPort, UserIdGroupPairs: (p.UserIdGroupPairs ?? []).filter((pair) => pair.GroupId === groupId) }))
      .filter((p) => p.UserIdGroupPairs.length > 0);
    if (naming.length) await unlessNotFound(() => ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: group.GroupId, IpPermissions: naming })));
  }
}

interface GroupSpec {
  id: string;
  title: string;
  dependsOn: string[];
  teardown?: Teardown;
  name: (env: StackEnv) => string;
  description: string;
  /** The group's own id is known once it exists (a rule may name the group itself). */
  rules: (ctx: Ctx, groupId: string) => IngressRule[];
}

/** A security group of the stack in its VPC, found by recorded id then by name, its ingress kept converged. */
function securityGroupStep(spec: GroupSpec): ResourceStep<StackEnv> {
  const lookup = async (ctx: Ctx, ec2: EC2Client): Promise<SecurityGroup | undefined> => {
    const { vpcId } = ctx.output<VpcOutputs>('vpc');
    const recordedId = ctx.recorded?.groupId as string | undefined;
    const byId = recordedId ? await describeGroup(ec2, recordedId) : undefined;
    if (byId && byId.VpcId === vpcId) return byId;
    // Group names are unique per VPC, so name + VPC finds it even without a state file.
    const r = await ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [
          { Name: 'group-name', Values: [spec.name(ctx.env)] },
          { Name: 'vpc-id', Values: [vpcId] },
        ],
      }),
    );
    return r.SecurityGroups?.[0];
  };
  const outputsOf = (g: SecurityGroup): SecurityGroupOutputs => ({ groupId: g.GroupId!, groupName: g.GroupName! });

  return {
    id: spec.id,
    title: spec.title,
    dependsOn: spec.dependsOn,
    teardown: spec.teardown,
    async find(ctx) {
      const ec2 = ctx.env.aws.get(EC2Client);
      const group = await lookup(ctx, ec2);
      if (!group?.GroupId) return undefined;
      if (ctx.repair) await syncIngress(ctx, ec2, group, spec.rules(ctx, group.GroupId));
      return { ...outputsOf(group) };
    },
    async create(ctx) {
      const ec2 = ctx.env.aws.get(EC2Client);
      const groupName = spec.name(ctx.env);
      const r = await ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: groupName,
          Description: spec.description,
          VpcId: ctx.output<VpcOutputs>('vpc').vpcId,
          TagSpecifications: [{ ResourceType: 'security-group', Tags: ctx.env.tags(groupName) }],
        }),
      );
      const groupId = r.GroupId!;
      await ctx.note({ groupId, groupName });
      noteCreated(ctx, groupId);
      await syncIngress(ctx, ec2, { GroupId: groupId, IpPermissions: [] }, spec.rules(ctx, groupId));
      return { groupId, groupName } satisfies SecurityGroupOutputs;
    },
    async destroy(ctx, outputs) {
      const ec2 = ctx.env.aws.get(EC2Client);
      const id = outputs.groupId as string;
      // A rule of another group naming this one keeps it from being deleted: revoke such rules of
      // the stack's groups first, so that this group need not wait for theirs. Lingering ENIs
      // (the ALB's, for a minute after it is gone) still need retries.
      await revokeReferencesTo(ctx, ec2, id);
      await deleteIgnoringNotFound(ctx, () => ec2.send(new DeleteSecurityGroupCommand({ GroupId: id })), `security group ${id} to be free of network interfaces`);
    },
  };
}

export const albSecurityGroupStep = securityGroupStep({
  id: 'alb-security-group',
  title: 'Load balancer security group',
  dependsOn: ['vpc'],
  name: (env) => env.names.albSecurityGroup,
  description: 'ecs-wizard: load balancer, listener port from the allowed CIDRs',
  rules: (ctx) => albIngressRules(ctx.env.answers),
});

export const instanceSecurityGroupStep = securityGroupStep({
  id: 'instance-security-group',
  title: 'Instance security group',
  dependsOn: ['vpc', 'alb-security-group'],
  // The ALB's group may go first: its delete revokes this group's rule that names it, so it waits
  // only for the ALB's network interfaces, not for the instances to terminate.
  teardown: { mayGoFirst: ['alb-security-group'] },
  name: (env) => env.names.instanceSecurityGroup,
  description: 'ecs-wizard: container instances, host ports from the load balancer only',
  rules: (ctx, groupId) => instanceIngressRules(ctx.env.answers, ctx.output<SecurityGroupOutputs>('alb-security-group').groupId, groupId),
});
