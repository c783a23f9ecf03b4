import { isWaitStep, type StepResult } from '../engine/types.js';
import { buildPlan } from '../steps/index.js';
import { stackNames, type StackNames } from '../steps/names.js';
import type { StackState } from '../engine/state.js';
import { stackChanges, type GroupBounds } from './changes.js';
import { BROUGHT_ROLE_PATH, httpsOn, type Answers } from './schema.js';
import { stackUrl } from '../steps/url.js';
import { TLS_POLICY } from '../steps/https-listener.js';
import { plural } from '../words.js';

/**
 * The plan the review screen shows and `--dry-run --output json` prints: what will be created or
 * reused, names, sizes, ports, who can reach what, and scaling. Data only (JSON-serialisable);
 * review.ts renders it as text. Built from the answers alone, so replaying saved answers gives an
 * identical plan.
 */
export interface PlanResource {
  stepId: string;
  title: string;
  name?: string;
  /** create: made and owned by the stack; reuse: the user's, never changed or deleted. */
  action: 'create' | 'reuse';
  /** What the account has now (a dry run's finds), or in the review of an existing stack what its state recorded as made. */
  status?: 'exists' | 'would create' | 'failed';
}

export interface Plan {
  stack: string;
  region: string;
  network: { vpc: string; subnets: string[]; availabilityZones?: string[] };
  loadBalancer: { name: string; listenerPort: number; healthCheckPath: string };
  instances: { instanceType: string; architecture?: string; launch: string; ami: string; minSize: number; desiredCapacity: number; maxSize: number; keyName?: string };
  /** Hosts of an existing stack a changed instance type or pinned AMI replaces, one at a time. */
  roll?: { instances: number; reason: string };
  service: { image: string; containerPort: number; cpu: number; memory: number; desiredCount: number; logs: string; secrets: string[]; containerInsights: boolean; taskRole?: string };
  access: string[];
  scaling: string[];
  warnings: string[];
  resources: PlanResource[];
  /**
   * What this create changes in what runs, against the state (after a deploy, a rollback or a
   * scale): `image httpd:2.4.62 → httpd:2.4 (reverts the last deploy)`, `service scaling max 10 → 6
   * (set by scale on …)`. Absent for a new stack.
   */
  changes?: string[];
  /** The URL the stack will serve (the ALB's name is known only once it exists). */
  url: string;
  /** With HTTPS: the certificate (given, or requested for the domain) and the redirect. */
  https?: { certificate: string; domain?: string; redirectHttp: boolean; tlsPolicy: string };
  /** Private instances: their subnets and the NAT gateways they go out through. */
  privateNetwork?: { subnets: string[]; natGateways: number | 'existing' };
  /** Spot: the types and the On-Demand share. */
  spot?: { instanceTypes: string[]; onDemandBaseCapacity: number; onDemandPercentageAboveBase: number; allocationStrategy: string };
  /** What each choice adds to the monthly bill: estimates, dated. */
  costs: CostEstimate;
}

export interface CostEstimate {
  /** When and where the prices were AWS's list prices. */
  asOf: string;
  note: string;
  items: { choice: string; monthlyUsd?: number; detail: string }[];
}

/**
 * AWS list prices in us-east-1 (VPC pricing page: NAT gateway $0.045 per hour and per GB
 * processed; public IPv4 addresses $0.005 per hour since February 2024), as of 2025. Other
 * regions cost more or less; the review says these are estimates.
 */
export const PRICES = {
  asOf: 'us-east-1 list prices, 2025',
  natGatewayHour: 0.045,
  natGatewayGb: 0.045,
  publicIpv4Hour: 0.005,
  hoursPerMonth: 720,
  /** Application Load Balancer: per hour, plus per LCU-hour of traffic. */
  albHour: 0.0225,
  albLcuHour: 0.008,
  /** gp3 storage per GB-month; the ECS-optimized AMIs boot from a 30 GB root volume. */
  gp3GbMonth: 0.08,
  rootVolumeGb: 30,
} as const;

/**
 * On-Demand Linux prices per hour (us-east-1, 2025) of the instance types people pick for ECS
 * hosts. A type not listed is shown without a price. (A later issue replaces this with the price
 * list.)
 */
export const INSTANCE_HOUR_USD: Readonly<Record<string, number>> = {
  't3.nano': 0.0052, 't3.micro': 0.0104, 't3.small': 0.0208, 't3.medium': 0.0416, 't3.large': 0.0832, 't3.xlarge': 0.1664, 't3.2xlarge': 0.3328,
  't3a.micro': 0.0094, 't3a.small': 0.0188, 't3a.medium': 0.0376, 't3a.large': 0.0752, 't3a.xlarge': 0.1504,
  't4g.micro': 0.0084, 't4g.small': 0.0168, 't4g.medium': 0.0336, 't4g.large': 0.0672, 't4g.xlarge': 0.1344,
  'm5.large': 0.096, 'm5.xlarge': 0.192, 'm6i.large': 0.096, 'm6i.xlarge': 0.192, 'm6g.large': 0.077, 'm6g.xlarge': 0.154, 'm7g.large': 0.0816, 'm7i.large': 0.1008,
  'c5.large': 0.085, 'c5.xlarge': 0.17, 'c6i.large': 0.085, 'c6i.xlarge': 0.17, 'c6g.large': 0.068, 'c7g.large': 0.0725,
  'r5.large': 0.126, 'r6i.large': 0.126, 'r6g.large': 0.1008,
};

const usd = (n: number): string => `$${n.toFixed(2)}`;

function resourceName(stepId: string, a: Answers, n: StackNames): string | undefined {
  switch (stepId) {
    case 'vpc':
      return a.network.vpcId ?? n.vpc;
    case 'subnets':
      return a.network.subnetIds ? a.network.subnetIds.join(', ') : a.network.subnetCidrs.map((_, k) => n.subnet(k)).join(', ');
    case 'internet-gateway':
      return n.internetGateway;
    case 'route-table':
      return n.routeTable;
    case 'alb-security-group':
      return n.albSecurityGroup;
    case 'instance-security-group':
      return n.instanceSecurityGroup;
    case 'instance-role':
      return n.instanceRole;
    case 'instance-profile':
      return n.instanceProfile;
    case 'execution-role':
      return n.executionRole;
    case 'task-role':
      return n.taskRole;
    case 'ecr-repository':
      return a.service.ecrRepository;
    case 'target-group':
      return n.targetGroup;
    case 'load-balancer':
      return n.loadBalancer;
    case 'listener':
      return `HTTP :${a.loadBalancer.listenerPort}`;
    case 'https-listener':
      return `HTTPS :${a.loadBalancer.listenerPort} (${TLS_POLICY})`;
    case 'redirect-listener':
      return `HTTP :80 → 301 HTTPS :${a.loadBalancer.listenerPort}`;
    case 'certificate':
      return a.loadBalancer.certificateArn ?? `${a.loadBalancer.domain} (ACM, DNS validation)`;
    case 'certificate-validation':
      return `CNAME for ${a.loadBalancer.domain}`;
    case 'hosted-zone':
      return `the public zone holding ${a.loadBalancer.domain}`;
    case 'alias-record':
      return `${a.loadBalancer.domain} A → ${n.loadBalancer}`;
    case 'private-subnets':
      return a.network.privateSubnetIds ? a.network.privateSubnetIds.join(', ') : (a.network.privateSubnetCidrs ?? []).map((_, k) => n.privateSubnet(k)).join(', ');
    case 'elastic-ips':
    case 'nat-gateways':
    case 'private-route-tables': {
      const count = a.network.natGateways ?? 1;
      const name = stepId === 'private-route-tables' ? n.privateRouteTable : stepId === 'nat-gateways' ? n.natGateway : n.natAddress;
      return Array.from({ length: count }, (_, k) => name(k)).join(', ');
    }
    case 'launch-template':
      return a.instances.launch === 'configuration' ? n.launchConfiguration : n.launchTemplate;
    case 'auto-scaling-group':
      return n.autoScalingGroup;
    case 'cluster':
      return n.cluster;
    case 'log-group':
      return n.logGroup;
    case 'secrets-policy':
      return Object.keys(a.service.secrets).length ? `${a.stack}-secrets on ${n.executionRole}` : undefined;
    case 'capacity-provider':
      return n.capacityProvider;
    case 'task-definition':
      return n.taskFamily;
    case 'service':
      return n.service;
    default:
      return undefined;
  }
}

const who = (cidr: string): string => (cidr === '0.0.0.0/0' ? `${cidr} (anyone on the internet)` : cidr);

/**
 * The monthly cost each production choice adds, in plain numbers: NAT gateways and their
 * addresses (and the public addresses private instances no longer need), HTTPS (free: ACM public
 * certificates and alias queries to an ALB cost nothing), and Spot's typical saving.
 */
export function costEstimate(a: Answers, opts: { newStack?: boolean } = {}): CostEstimate {
  const month = PRICES.hoursPerMonth;
  const ipv4 = PRICES.publicIpv4Hour * month;
  const items: CostEstimate['items'] = [];
  const hosts = a.instances.desiredCapacity;
  if (opts.newStack) {
    // A new stack adds the load balancer and the hosts themselves: most of the bill.
    const alb = PRICES.albHour * month;
    items.push({ choice: 'Application Load Balancer', monthlyUsd: alb, detail: `${usd(alb)} per month, plus $${PRICES.albLcuHour} per LCU-hour of traffic` });
    const hour = INSTANCE_HOUR_USD[a.instances.instanceType];
    const disk = PRICES.gp3GbMonth * PRICES.rootVolumeGb;
    const each = hour === undefined ? undefined : hour * month + disk;
    items.push({
      choice: `${plural(hosts, `${a.instances.instanceType} instance`)}`,
      ...(each === undefined ? {} : { monthlyUsd: hosts * each }),
      detail: `${each === undefined ? `On-Demand price of ${a.instances.instanceType} not in ecs-wizard's table (see the EC2 price list)` : `${usd(hour! * month)} On-Demand + ${usd(disk)} for its ${PRICES.rootVolumeGb} GB gp3 root volume, each per month`} (${hosts} at the desired capacity, up to ${a.instances.maxSize})`,
    });
  }
  if (a.network.instanceSubnets === 'private') {
    const nats = a.network.natGateways;
    if (nats !== undefined) {
      const nat = PRICES.natGatewayHour * month;
      items.push({ choice: plural(nats, 'NAT gateway'), monthlyUsd: nats * nat, detail: `${usd(nat)} each per month, plus ${usd(PRICES.natGatewayGb)} per GB they carry (image pulls, logs, your app's calls out)` });
      items.push({ choice: `${plural(nats, 'Elastic IP')} (one per NAT gateway)`, monthlyUsd: nats * ipv4, detail: `${usd(ipv4)} each per month (public IPv4)` });
    } else {
      items.push({ choice: 'your NAT gateways', monthlyUsd: 0, detail: 'the existing private subnets route through NAT gateways you already pay for (plus their per-GB charge)' });
    }
    items.push({ choice: 'no public IPs on the instances', monthlyUsd: -hosts * ipv4, detail: `saves ${usd(ipv4)} per instance per month (${hosts} at the desired capacity)` });
  } else {
    items.push({ choice: 'public IPs on the instances', monthlyUsd: hosts * ipv4, detail: `${usd(ipv4)} per instance per month (${hosts} at the desired capacity, up to ${a.instances.maxSize})` });
  }
  if (httpsOn(a.loadBalancer)) {
    items.push({
      choice: 'HTTPS',
      monthlyUsd: 0,
      detail: `${a.loadBalancer.certificateArn ? 'your certificate' : 'an ACM public certificate (free)'}${a.loadBalancer.domain ? '; the alias record: queries to an ALB alias are free (the hosted zone is yours, $0.50 a month)' : ''}`,
    });
  }
  const spot = a.instances.spot;
  if (spot) {
    const above = Math.max(0, hosts - spot.onDemandBaseCapacity);
    const spotHosts = Math.floor((above * (100 - spot.onDemandPercentageAboveBase)) / 100);
    items.push({
      choice: 'Spot',
      detail: `${spotHosts} of ${plural(hosts, 'instance')} on Spot at the desired capacity: typically 50–70 % cheaper than On-Demand (up to 90 %), but AWS may take one back with 2 minutes' notice (the ECS agent drains it)`,
    });
  }
  const note = opts.newStack
    ? 'Estimates from AWS list prices: other regions differ; data transfer, load balancer capacity units, logs and Spot prices are billed by use.'
    : 'Estimates from AWS list prices: other regions differ, and data transfer, the ALB and the instances themselves are billed as before.';
  return { asOf: PRICES.asOf, note, items };
}

export function buildReviewPlan(a: Answers, opts: { region: string; amiId?: string; architecture?: string; results?: StepResult[]; roll?: { instances: number; reason: string }; current?: StackState; group?: GroupBounds }): Plan {
  const n = stackNames(a.stack);
  const reuse = a.network.vpcId !== undefined;
  const byStep = new Map((opts.results ?? []).map((r) => [r.stepId, r]));
  // What exists already: a dry run's finds say so; else (the review) what the stack's state recorded as created.
  const recorded = (id: string) => (opts.current?.resources[id]?.status === 'created' ? opts.current.resources[id] : undefined);
  const exists = (id: string): boolean => (opts.results ? byStep.get(id)?.outcome === 'exists' : recorded(id) !== undefined);
  const newStack = !buildPlan(a).some((s) => !isWaitStep(s) && !(s as { external?: boolean }).external && exists(s.id));
  const vpcId = (byStep.get('vpc')?.outputs ?? recorded('vpc')?.outputs)?.vpcId as string | undefined;
  const resources: PlanResource[] = buildPlan(a)
    // With no secrets the secrets-policy step only makes sure no stale grant remains: nothing to show.
    .filter((s) => !isWaitStep(s) && !(s.id === 'secrets-policy' && Object.keys(a.service.secrets).length === 0))
    .map((s) => {
      const r = byStep.get(s.id);
      const external = (s as { external?: boolean }).external === true || (reuse && (s.id === 'vpc' || s.id === 'subnets' || s.id === 'private-subnets'));
      return {
        stepId: s.id,
        title: s.title,
        ...(resourceName(s.id, a, n) ? { name: resourceName(s.id, a, n) } : {}),
        action: external ? 'reuse' : 'create',
        ...(r ? { status: r.outcome === 'exists' ? 'exists' : r.outcome === 'failed' ? 'failed' : 'would create' } : !opts.results && exists(s.id) ? { status: 'exists' } : {}),
      } as PlanResource;
    });

  const warnings = answerWarnings(a);
  const httpsAccess = httpsOn(a.loadBalancer);
  const access = [
    ...a.loadBalancer.ingressCidrs.map((c) => `ALB ${httpsAccess ? 'HTTPS ' : ''}:${a.loadBalancer.listenerPort} from ${who(c)}`),
    ...(httpsAccess && a.loadBalancer.redirectHttp ? a.loadBalancer.ingressCidrs.map((c) => `ALB HTTP :80 from ${who(c)} (answers 301 to HTTPS)`) : []),
    'instances: ports 32768-65535 from the ALB only',
    ...(a.network.instanceSubnets === 'private' ? ['instances: no public IPs; out to the internet through NAT only'] : []),
  ];
  if (a.instances.sshCidr) access.push(`instances: SSH :22 from ${who(a.instances.sshCidr)} (key pair ${a.instances.keyName ?? 'none'})`);

  const s = a.scaling;
  const scaling: string[] = [];
  if (s.service.enabled) {
    const targets = [
      s.service.targetCpuPercent !== undefined ? `CPU ${s.service.targetCpuPercent}%` : undefined,
      s.service.targetMemoryPercent !== undefined ? `memory ${s.service.targetMemoryPercent}%` : undefined,
      s.service.requestsPerTarget !== undefined ? `${s.service.requestsPerTarget} requests per task` : undefined,
    ].filter(Boolean);
    scaling.push(`service: ${s.service.minCount}–${s.service.maxCount} tasks, target tracking on ${targets.length ? targets.join(', ') : 'CPU (default)'}`);
  } else {
    scaling.push(`service: fixed at ${plural(a.service.desiredCount, 'task')} (no auto scaling)`);
  }
  scaling.push(
    s.instances.managed
      ? `instances: ${a.instances.minSize}–${a.instances.maxSize}, capacity provider ${n.capacityProvider} with managed scaling at ${s.instances.targetCapacityPercent}% target capacity`
      : `instances: ${a.instances.minSize}–${a.instances.maxSize}, Auto Scaling group target tracking on CPU ${s.instances.targetCpuPercent}%`,
  );

  const https = httpsOn(a.loadBalancer);
  const port = a.loadBalancer.listenerPort;
  const portSuffix = port === (https ? 443 : 80) ? '' : `:${port}`;
  return {
    stack: a.stack,
    region: a.region ?? opts.region,
    url: stackUrl(a) ?? `${https ? 'https' : 'http'}://<the load balancer's DNS name>${portSuffix}`,
    ...(https
      ? {
          https: {
            certificate: a.loadBalancer.certificateArn ?? `requested from ACM for ${a.loadBalancer.domain}, validated through DNS`,
            ...(a.loadBalancer.domain ? { domain: a.loadBalancer.domain } : {}),
            redirectHttp: a.loadBalancer.redirectHttp === true,
            tlsPolicy: TLS_POLICY,
          },
        }
      : {}),
    ...(a.network.instanceSubnets === 'private'
      ? {
          privateNetwork: reuse
            ? { subnets: a.network.privateSubnetIds ?? [], natGateways: 'existing' as const }
            : { subnets: (a.network.privateSubnetCidrs ?? []).map((c, k) => `${n.privateSubnet(k)} ${c}`), natGateways: a.network.natGateways ?? 1 },
        }
      : {}),
    ...(a.instances.spot
      ? {
          spot: {
            instanceTypes: a.instances.spot.instanceTypes ?? [a.instances.instanceType],
            onDemandBaseCapacity: a.instances.spot.onDemandBaseCapacity,
            onDemandPercentageAboveBase: a.instances.spot.onDemandPercentageAboveBase,
            allocationStrategy: 'price-capacity-optimized',
          },
        }
      : {}),
    costs: costEstimate(a, { newStack }),
    network: {
      vpc: reuse ? `existing ${a.network.vpcId}` : exists('vpc') ? `${n.vpc} ${a.network.vpcCidr} (exists${vpcId ? `: ${vpcId}` : ''})` : `new ${n.vpc} ${a.network.vpcCidr}`,
      subnets: reuse ? a.network.subnetIds! : a.network.subnetCidrs.map((c, k) => `${n.subnet(k)} ${c}${a.network.availabilityZones?.[k] ? ` in ${a.network.availabilityZones[k]}` : ''}`),
      ...(a.network.availabilityZones ? { availabilityZones: a.network.availabilityZones } : {}),
    },
    loadBalancer: { name: n.loadBalancer, listenerPort: a.loadBalancer.listenerPort, healthCheckPath: a.loadBalancer.healthCheckPath },
    instances: {
      instanceType: a.instances.instanceType,
      ...(opts.architecture ? { architecture: opts.architecture } : {}),
      launch: a.instances.launch,
      ami: a.instances.amiId ?? opts.amiId ?? 'current ECS-optimized Amazon Linux 2023 AMI (from SSM)',
      minSize: a.instances.minSize,
      desiredCapacity: a.instances.desiredCapacity,
      maxSize: a.instances.maxSize,
      ...(a.instances.keyName ? { keyName: a.instances.keyName } : {}),
    },
    service: {
      image: a.service.ecrRepository ? `ECR repository ${a.service.ecrRepository}` : a.service.image,
      containerPort: a.service.containerPort,
      cpu: a.service.cpu,
      memory: a.service.memory,
      desiredCount: a.service.desiredCount,
      logs: a.service.logs ? `CloudWatch Logs ${n.logGroup}, kept ${a.service.logRetentionDays} days` : 'off',
      // Names only: the ARNs say where a value lives, never the value itself.
      secrets: Object.keys(a.service.secrets).sort(),
      containerInsights: a.cluster.containerInsights,
      ...(taskRoleLine(a) ? { taskRole: taskRoleLine(a) } : {}),
    },
    ...(opts.roll ? { roll: opts.roll } : {}),
    access,
    scaling,
    warnings,
    resources,
    ...(opts.current ? { changes: runningChanges(opts.current, a, opts.group) } : {}),
  };
}

/**
 * What `answers` change in what runs, in words, against the state's recorded answers (and the
 * group's bounds as AWS shows them, when read): see stackChanges() in changes.ts.
 */
export function runningChanges(current: StackState, a: Answers, group?: GroupBounds): string[] {
  return stackChanges(current, a, { group }).map((c) => c.text);
}

/** The task role in the review's words: the user's, or the stack's own with what it may do. */
function taskRoleLine(a: Answers): string | undefined {
  if (a.service.taskRoleArn) return `${a.service.taskRoleArn} (yours)`;
  const policies = a.service.taskRolePolicies;
  if (policies === undefined) return undefined;
  const names = policies.map((p) => p.split('/').pop()).join(', ');
  return `${stackNames(a.stack).taskRole} (${names || 'no policies'}; within the permissions boundary)`;
}

/** The IAM path of a role ARN (`arn:…:role/ecs-wizard/app` → `/ecs-wizard/`). */
export function rolePath(arn: string): string {
  const parts = arn.slice(arn.indexOf(':role/') + ':role/'.length).split('/');
  return `/${parts.slice(0, -1).map((p) => `${p}/`).join('')}`;
}

/** Answers that are valid but probably not what the user wants: shown in the review, or warned about without one. */
export function answerWarnings(a: Answers): string[] {
  const warnings: string[] = [];
  if (a.instances.sshCidr === '0.0.0.0/0') warnings.push('SSH is open to the whole internet (0.0.0.0/0): prefer your own address, e.g. 203.0.113.7/32.');
  if (a.instances.sshCidr !== undefined && a.instances.keyName === undefined) {
    warnings.push('instances.sshCidr opens port 22 but instances.keyName is not set: only EC2 Instance Connect or a key baked into the AMI can log in.');
  }
  if (a.instances.launch === 'configuration') warnings.push('Launch configurations are refused by AWS accounts created since 1 Oct 2024; prefer launch: template.');
  const brought = a.service.taskRoleArn;
  if (brought !== undefined && rolePath(brought) !== BROUGHT_ROLE_PATH) {
    warnings.push(
      `service.taskRoleArn is under the IAM path ${rolePath(brought)}: the documented operator policy (docs/iam-policy.json) passes only roles under ${BROUGHT_ROLE_PATH} to ECS, so an operator's create or deploy with it is refused — move the role there (a role's path is set when it is created), or run with credentials that may pass it.`,
    );
  }
  if (a.loadBalancer.certificateArn && !a.loadBalancer.domain) {
    warnings.push('loadBalancer.certificateArn without loadBalancer.domain: browsers accept the certificate only for its own names, not the load balancer\'s amazonaws.com name; give the domain, or point your own DNS record at the load balancer.');
  }
  return warnings;
}
