import type { StackState } from '../engine/state.js';
import { LEFTOVER_ORDER, type Leftover, type LeftoverType } from './inventory.js';

/** Each kind the inventory knows, in AWS's own words (the compiler checks that none is missing). */
const KIND: Record<LeftoverType, string> = {
  vpc: 'VPC',
  subnet: 'Subnet',
  'internet-gateway': 'Internet gateway',
  'route-table': 'Route table',
  'nat-gateway': 'NAT gateway',
  'elastic-ip': 'Elastic IP',
  'security-group': 'Security group',
  'iam-role': 'IAM role',
  'instance-profile': 'Instance profile',
  'ecr-repository': 'ECR repository',
  certificate: 'ACM certificate',
  'dns-record': 'DNS record',
  'load-balancer': 'Load balancer',
  'target-group': 'Target group',
  'launch-template': 'Launch template',
  'launch-configuration': 'Launch configuration',
  'auto-scaling-group': 'Auto Scaling group',
  instance: 'EC2 instance',
  'asg-scaling-policy': 'Group scaling policy',
  cluster: 'ECS cluster',
  'capacity-provider': 'Capacity provider',
  'task-definition': 'Task definition',
  'ecs-service': 'ECS service',
  'service-connect-namespace': 'Service Connect namespace',
  'log-group': 'Log group',
  'scalable-target': 'Scalable target',
  'app-scaling-policy': 'Service scaling policy',
  alarm: 'CloudWatch alarm',
};

/**
 * A resource as AWS shows it: its Name and its id (`shop-web-vpc vpc-0abc…`), the name alone where
 * the id is an ARN (`shop-web-alb`), the ARN's resource part where there is no name (`shop-web:3`).
 */
function shown(item: Leftover): string {
  const arn = item.id.startsWith('arn:');
  if (arn) return item.name ?? item.id.slice(item.id.lastIndexOf('/') + 1);
  return item.name && item.name !== item.id ? `${item.name} ${item.id}` : item.id;
}

/** The resources the stack reuses and destroy keeps: the recorded external steps' ids, and the answers' VPC and subnets. */
export function keptResources(state: StackState, answers: { network: { vpcId?: string; subnetIds?: string[] } }): { kind: string; ids: string[] }[] {
  const kept = new Map<string, Set<string>>();
  const add = (kind: string, ...ids: (string | undefined)[]): void => {
    const set = kept.get(kind) ?? new Set<string>();
    for (const id of ids) if (id) set.add(id);
    if (set.size) kept.set(kind, set);
  };
  const strings = (v: unknown): string[] => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  add('VPC', answers.network.vpcId);
  add('Subnet', ...(answers.network.subnetIds ?? []));
  for (const [stepId, r] of Object.entries(state.resources)) {
    if (!r.external || r.status === 'destroyed') continue;
    const o = r.outputs ?? {};
    if (stepId === 'vpc') add('VPC', ...strings(o.vpcId));
    else if (stepId === 'subnets' || stepId === 'private-subnets') add('Subnet', ...strings(o.subnetIds));
    else if (stepId === 'certificate') add('ACM certificate', ...strings(o.certificateArn));
    else if (stepId === 'hosted-zone') add('Hosted zone', [o.zoneName, o.hostedZoneId].filter((x) => typeof x === 'string').join(' '));
  }
  return [...kept].map(([kind, ids]) => ({ kind, ids: [...ids] }));
}

/**
 * What destroy will delete, one line per resource, grouped by kind in the order the stack is built
 * (VPC first), then what it keeps — the confirmation's listing, as Terraform lists each resource.
 */
export function deletionListing(owned: Leftover[], kept: { kind: string; ids: string[] }[]): string[] {
  const built = [...LEFTOVER_ORDER].reverse();
  const sorted = [...owned].sort((a, b) => built.indexOf(a.type) - built.indexOf(b.type));
  const width = Math.max(0, ...sorted.map((i) => KIND[i.type].length), ...kept.map((k) => k.kind.length));
  const lines = sorted.map((i) => `  ${KIND[i.type].padEnd(width)}  ${shown(i)}`);
  if (kept.length) {
    lines.push('Kept (not made by ecs-wizard):');
    for (const k of kept) for (const id of k.ids) lines.push(`  ${k.kind.padEnd(width)}  ${id}`);
  }
  return lines;
}
