import { isWaitStep, type Step, type StepResult } from '../engine/types.js';
import type { StackEnv } from '../steps/env.js';
import { defaultService, idFor, routeText, serviceNames, serviceOfId, servicesOf, type ServiceKind, type ServiceSpec } from '../steps/services.js';
import { SSM_MESSAGES_ACTIONS, makesTaskRole } from '../steps/service/exec.js';
import { retentionOf } from '../steps/stack/log-group.js';
import { buildPlan } from '../steps/index.js';
import { stackNames, type StackNames } from '../steps/names.js';
import type { StackState } from '../engine/state.js';
import { stackChanges, type GroupBounds } from './changes.js';
import { BROUGHT_ROLE_PATH, answersSchema, httpsOn, type Answers } from './schema.js';
import { costChange, estimateFromAnswers, type CostReport } from '../cost/estimate.js';
import { bundledBook, type StackPrices } from '../cost/prices.js';
import { stackUrl } from '../steps/url.js';
import { TLS_POLICY } from '../steps/stack/https-listener.js';
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
  /** The service the listener's default action forwards to (the only one on a one-service stack). */
  service: { image: string; containerPort: number; cpu: number; memory: number; desiredCount: number; logs: string; secrets: string[]; containerInsights: boolean; taskRole?: string };
  /** Every service in file order, each with its route: `/api/* → api:8080`, `default → web:80`, `worker: no load balancer`. */
  services: PlanService[];
  /** Services the state has and these answers no longer do: deleted alone by this create, with what goes. */
  removed?: { name: string; resources: string[] }[];
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
  /** What the stack costs a month (estimates, dated; src/cost/): `--output json` carries it as the top-level `cost`. */
  cost: CostReport;
}

export interface PlanService {
  name: string;
  route: string;
  image: string;
  containerPort?: number;
  cpu: number;
  memory: number;
  desiredCount: number;
  command?: string[];
}

/** The name of a per-service step's resource, from the service's own names. */
function serviceResourceName(kind: ServiceKind, svc: ServiceSpec, a: Answers, n: StackNames): string | undefined {
  const names = serviceNames(a.stack, svc);
  switch (kind) {
    case 'task-role':
      return names.taskRole;
    case 'ecr-repository':
      return svc.ecrRepository;
    case 'target-group':
      return names.targetGroup;
    case 'listener-rule':
      return `${routeText(svc)} (priority ${svc.priority})`;
    case 'secrets-policy':
      return Object.keys(svc.secrets).length ? `${names.secretsPolicy} on ${n.executionRole}` : undefined;
    case 'task-definition':
      return names.taskFamily;
    case 'service':
      return names.service;
    default:
      return undefined;
  }
}

function resourceName(stepId: string, a: Answers, n: StackNames): string | undefined {
  const own = serviceOfId(stepId);
  if (own) {
    const svc = servicesOf(a).find((s) => (own.service === undefined ? s.primary : s.name === own.service));
    return svc ? serviceResourceName(own.kind, svc, a, n) : undefined;
  }
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
    case 'capacity-provider':
      return n.capacityProvider;
    case 'service-connect-namespace':
      return `${n.namespace} (AWS Cloud Map, Service Connect)`;
    default:
      return undefined;
  }
}

const who = (cidr: string): string => (cidr === '0.0.0.0/0' ? `${cidr} (anyone on the internet)` : cidr);

/**
 * The estimate for these answers with the prices given (the bundled table's when none are), and
 * what it changes against the answers the state recorded (a rerun of create).
 */
export function reviewCost(a: Answers, region: string, prices: StackPrices | undefined, current?: StackState): CostReport {
  const p = prices ?? { book: bundledBook(region) };
  const cost = estimateFromAnswers(a, p.book, p.spot);
  const recorded = current?.answers === undefined ? undefined : answersSchema.safeParse(current.answers);
  const change = recorded?.success ? costChange(estimateFromAnswers(recorded.data, p.book, p.spot), cost, 'the answers the state recorded') : undefined;
  return change ? { ...cost, change } : cost;
}

export function buildReviewPlan(
  a: Answers,
  opts: {
    region: string;
    amiId?: string;
    architecture?: string;
    results?: StepResult[];
    roll?: { instances: number; reason: string };
    current?: StackState;
    group?: GroupBounds;
    prices?: StackPrices;
    /** Services this create deletes (removed from the answers), with the steps that delete them. */
    removed?: RemovedService[];
  },
): Plan {
  const n = stackNames(a.stack);
  const services = servicesOf(a);
  const main = defaultService(a);
  const reuse = a.network.vpcId !== undefined;
  const byStep = new Map((opts.results ?? []).map((r) => [r.stepId, r]));
  // What exists already: a dry run's finds say so; else (the review) what the stack's state recorded as created.
  const recorded = (id: string) => (opts.current?.resources[id]?.status === 'created' ? opts.current.resources[id] : undefined);
  const exists = (id: string): boolean => (opts.results ? byStep.get(id)?.outcome === 'exists' : recorded(id) !== undefined);
  const newStack = !buildPlan(a).some((s) => !isWaitStep(s) && !(s as { external?: boolean }).external && exists(s.id));
  const vpcId = (byStep.get('vpc')?.outputs ?? recorded('vpc')?.outputs)?.vpcId as string | undefined;
  const resources: PlanResource[] = buildPlan(a)
    // With no secrets the secrets-policy step only makes sure no stale grant remains: nothing to show.
    .filter((s) => !isWaitStep(s) && !(serviceOfId(s.id)?.kind === 'secrets-policy' && resourceName(s.id, a, n) === undefined))
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
  // Service Connect: the hosts reach each other's proxies on the dynamic host ports.
  if (services.some((x) => x.discovery)) access.push(`instances: each other on the container host ports (Service Connect proxies, namespace ${n.namespace})`);
  // ECS Exec is a shell in the containers: say who gets one.
  for (const svc of services.filter((s) => s.exec)) {
    access.push(`${svc.name}'s containers: a shell (ECS Exec, \`ecs-wizard exec\`) for anyone allowed ecs:ExecuteCommand on cluster ${n.cluster}`);
  }

  const s = a.scaling;
  const scaling: string[] = [];
  for (const svc of services) {
    // One service: `service: …` as always; several: `service api: …`.
    const who = services.length > 1 ? `service ${svc.name}` : 'service';
    const sc = svc.scaling;
    if (sc.enabled) {
      const targets = [
        sc.targetCpuPercent !== undefined ? `CPU ${sc.targetCpuPercent}%` : undefined,
        sc.targetMemoryPercent !== undefined ? `memory ${sc.targetMemoryPercent}%` : undefined,
        sc.requestsPerTarget !== undefined ? `${sc.requestsPerTarget} requests per task` : undefined,
      ].filter(Boolean);
      scaling.push(`${who}: ${sc.minCount}–${sc.maxCount} tasks, target tracking on ${targets.length ? targets.join(', ') : 'CPU (default)'}`);
    } else {
      scaling.push(`${who}: fixed at ${plural(svc.desiredCount, 'task')} (no auto scaling)`);
    }
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
    cost: reviewCost(a, a.region ?? opts.region, opts.prices, opts.current),
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
      image: imageText(main),
      containerPort: main.containerPort ?? 80,
      cpu: main.cpu,
      memory: main.memory,
      desiredCount: main.desiredCount,
      logs: main.logs ? `CloudWatch Logs ${n.logGroup}, kept ${retentionOf(a)} days` : 'off',
      // Names only: the ARNs say where a value lives, never the value itself.
      secrets: Object.keys(main.secrets).sort(),
      containerInsights: a.cluster.containerInsights,
      ...(taskRoleLine(a, main) ? { taskRole: taskRoleLine(a, main) } : {}),
    },
    services: services.map((svc) => ({
      name: svc.name,
      route: routeText(svc),
      image: imageText(svc),
      ...(svc.containerPort !== undefined ? { containerPort: svc.containerPort } : {}),
      cpu: svc.cpu,
      memory: svc.memory,
      desiredCount: svc.desiredCount,
      ...(svc.command ? { command: svc.command } : {}),
    })),
    ...(opts.removed?.length ? { removed: opts.removed.map((r) => ({ name: r.name, resources: r.resources })) } : {}),
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

const imageText = (svc: ServiceSpec): string => (svc.ecrRepository ? `ECR repository ${svc.ecrRepository}` : svc.image);

/** The task role in the review's words: the user's, or the stack's own with what it may do. */
function taskRoleLine(a: Answers, svc: ServiceSpec): string | undefined {
  if (svc.taskRoleArn) return `${svc.taskRoleArn} (yours)`;
  if (!makesTaskRole(svc)) return undefined;
  const names = (svc.taskRolePolicies ?? []).map((p) => p.split('/').pop());
  const what = [...names, ...(svc.exec ? ['the ECS Exec channels (ssmmessages)'] : [])].join(', ');
  return `${serviceNames(a.stack, svc).taskRole} (${what || 'no policies'}; within the permissions boundary)`;
}

/** A service this create deletes: its name, and its resources in the review's words. */
export interface RemovedService {
  name: string;
  resources: string[];
}

/** What deleting these services removes, in words: `ECS service shop--worker`, `task definition family shop--worker`, … */
export function removedServices(recorded: Answers, removed: readonly ServiceSpec[], steps: readonly Step<StackEnv>[]): RemovedService[] {
  const n = stackNames(recorded.stack);
  return removed.map((svc) => ({
    name: svc.name,
    resources: steps.flatMap((s) => {
      const kind = serviceOfId(s.id)?.kind;
      if (isWaitStep(s) || kind === undefined || idFor(svc, kind) !== s.id) return [];
      const name = serviceResourceName(kind, svc, recorded, n);
      // The step's title without the service's name in brackets: `ECS service shop--worker`.
      return name ? [`${s.title.replace(/ \(.*\)$/, '')} ${name}`] : [];
    }),
  }));
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
  for (const svc of servicesOf(a)) {
    if (svc.exec && svc.taskRoleArn !== undefined) {
      warnings.push(
        `${svc.at}.exec with ${svc.at}.taskRoleArn: that role is yours, and ecs-wizard adds nothing to it — give it ${SSM_MESSAGES_ACTIONS.join(', ')} (Resource "*") for sessions to open; \`ecs-wizard exec\` checks it before each one.`,
      );
    }
  }
  for (const svc of servicesOf(a)) {
    const brought = svc.taskRoleArn;
    if (brought === undefined || rolePath(brought) === BROUGHT_ROLE_PATH) continue;
    warnings.push(
      `${svc.at}.taskRoleArn is under the IAM path ${rolePath(brought)}: the documented operator policy (docs/iam-policy.json) passes only roles under ${BROUGHT_ROLE_PATH} to ECS, so an operator's create or deploy with it is refused — move the role there (a role's path is set when it is created), or run with credentials that may pass it.`,
    );
  }
  if (a.loadBalancer.certificateArn && !a.loadBalancer.domain) {
    warnings.push('loadBalancer.certificateArn without loadBalancer.domain: browsers accept the certificate only for its own names, not the load balancer\'s amazonaws.com name; give the domain, or point your own DNS record at the load balancer.');
  }
  return warnings;
}
