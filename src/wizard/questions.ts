import * as path from 'node:path';
import type { Account } from './account.js';
import { getPath, type Draft } from './draft.js';
import type { Choice } from './prompter.js';
import { LOG_RETENTION_DAYS, STACK_NAME_MAX, defaultPrivateSubnetCidrs, defaultSubnetCidrs, stackNameSchema } from './schema.js';
import type { PriceBook } from '../cost/prices.js';
import type { SpotQuotes } from '../cost/spot.js';
import { hostHint, instanceTypeHint, natGatewaysDescription, spotHint, subnetDescriptions } from './price-hints.js';

/**
 * The wizard as data: one entry per question, in the order of the flow. `id` is the dotted path in
 * the answers file (so "missing answers" name file keys), except for the few `virtual` questions
 * that only steer the flow (new or existing VPC, which metrics to scale on) and are derived from
 * the answers when reading a file. The `quick` ones are all `create` asks by default; every other
 * answer takes the default Enter would give, shown in the review, section by section customizable.
 */
export type QuestionType = 'input' | 'number' | 'select' | 'checkbox' | 'confirm' | 'list-of-cidrs' | 'list';

export interface QuestionContext {
  /** Answers so far (file values plus answered questions). */
  readonly draft: Draft;
  /** An answer or a virtual choice by id. */
  get(id: string): unknown;
  /** Account lookups (lazy; the first use resolves region and credentials). */
  account(): Promise<Account>;
  /** The region's prices for these instance types, for the choices' prices (undefined when unknown). */
  prices(instanceTypes: string[]): Promise<PriceBook | undefined>;
  /** The last hour's Spot prices of these types (in these zones), when they can be read. */
  spotPrices(instanceTypes: string[], zones?: string[]): Promise<SpotQuotes | undefined>;
  /** The directory `create` runs in (for the stack name's suggestion). */
  readonly cwd?: string;
  /** The stacks the state location holds (a suggested name is none of them). */
  existingStacks(): Promise<string[]>;
}

export type Section = 'stack' | 'network' | 'load balancer' | 'instances' | 'service' | 'scaling';

/** The sections "Customize a section?" offers after the quick path's review, in this order. */
export const CUSTOMIZABLE: readonly Section[] = ['network', 'load balancer', 'instances', 'service', 'scaling'];

export interface Question {
  id: string;
  section: Section;
  message: string;
  type: QuestionType;
  /**
   * Asked on the quick path (the default), in this list's order: the answers no default can
   * stand for. (A further quick question, such as "Add another service?", goes after the port.)
   */
  quick?: boolean;
  default?: string | number | boolean | string[] | ((c: QuestionContext) => unknown);
  /** A default offered at the prompt only: never filled in without a person (--yes). */
  suggest?: (c: QuestionContext) => Promise<string | undefined>;
  choices?: (c: QuestionContext) => Choice<unknown>[] | Promise<Choice<unknown>[]>;
  /** Ask only when this holds. */
  when?: (c: QuestionContext) => boolean;
  /** Not required in an answers file: absent means "none" or the schema default; a blank answer leaves it unset. */
  optional?: boolean;
  /** Steers the flow but is not an answers-file key: its value is derived from the answers (undefined = not known). */
  virtual?: { derive(draft: Draft): unknown };
  /** Extra check after the schema's (e.g. subnets in two zones). */
  check?: (value: unknown, c: QuestionContext) => true | string | Promise<true | string>;
  /** A select value that means "go back to this question". */
  back?: { value: unknown; to: string };
  /** Said after the message when asked (a price): undefined says nothing. */
  hint?: (c: QuestionContext) => Promise<string | undefined>;
}

/** The select value for "← back" in the VPC picker. */
export const BACK = '__back__';

const TARGETS = { cpu: 'scaling.service.targetCpuPercent', memory: 'scaling.service.targetMemoryPercent', requests: 'scaling.service.requestsPerTarget' } as const;
export type ScalingMetric = keyof typeof TARGETS;

const newVpc = (c: QuestionContext): boolean => c.get('network.mode') !== 'existing';
/** HTTPS: 'none', 'domain' (a certificate is requested for it) or 'certificate' (the user's). */
const httpsMode = (c: QuestionContext): unknown => c.get('loadBalancer.https');
const httpsOnQ = (c: QuestionContext): boolean => httpsMode(c) === 'domain' || httpsMode(c) === 'certificate';
const privateHosts = (c: QuestionContext): boolean => c.get('network.instanceSubnets') === 'private';
const usesSpot = (c: QuestionContext): boolean => c.get('instances.spot.enabled') === true;
const zoneCount = (c: QuestionContext): number => ((c.get('network.subnetCidrs') as string[] | undefined) ?? []).length || 2;
const scalesService = (c: QuestionContext): boolean => c.get('scaling.service.enabled') !== false;
const metricChosen = (m: ScalingMetric) => (c: QuestionContext): boolean => scalesService(c) && ((c.get('scaling.service.metrics') as string[] | undefined) ?? []).includes(m);

export const QUESTIONS: Question[] = [
  { id: 'stack', section: 'stack', type: 'input', quick: true, message: 'Stack name (prefixes every resource name)', suggest: (c) => suggestStackName(c) },
  {
    id: 'region',
    section: 'stack',
    type: 'input',
    quick: true,
    optional: true,
    message: 'AWS region',
    default: async (c) => (await c.account().catch(() => undefined))?.region,
  },

  {
    id: 'network.mode',
    section: 'network',
    type: 'select',
    message: 'Network',
    virtual: {
      derive: (d) =>
        getPath(d, 'network.vpcId') !== undefined || getPath(d, 'network.subnetIds') !== undefined
          ? 'existing'
          : getPath(d, 'network.vpcCidr') !== undefined || getPath(d, 'network.subnetCidrs') !== undefined
            ? 'new'
            : undefined,
    },
    default: 'new',
    choices: () => [
      { name: 'Create a new VPC', value: 'new', description: 'a VPC, public subnets in two zones, an internet gateway' },
      { name: 'Use an existing VPC', value: 'existing', description: 'pick a VPC and at least two of its subnets in different zones' },
    ],
  },
  {
    id: 'network.vpcId',
    section: 'network',
    type: 'select',
    message: 'Which VPC?',
    when: (c) => !newVpc(c),
    back: { value: BACK, to: 'network.mode' },
    choices: async (c) => {
      const vpcs = await (await c.account()).listVpcs();
      return [
        ...vpcs.map((v) => ({ name: `${v.vpcId}  ${v.cidr}${v.name ? `  ${v.name}` : ''}${v.isDefault ? '  (default VPC)' : ''}`, value: v.vpcId })),
        { name: vpcs.length ? '← back' : '← back (no VPCs found in this region)', value: BACK },
      ];
    },
  },
  {
    id: 'network.subnetIds',
    section: 'network',
    type: 'checkbox',
    message: 'Which subnets? (at least two, in different availability zones; the ALB and instances go here)',
    when: (c) => !newVpc(c),
    choices: async (c) => {
      const subnets = await (await c.account()).listSubnets(String(c.get('network.vpcId')));
      return subnets.map((s) => ({ name: `${s.subnetId}  ${s.availabilityZone}  ${s.cidr}${s.name ? `  ${s.name}` : ''}`, value: s.subnetId }));
    },
    // One subnet per zone, for --yes with only a VPC id given.
    default: async (c) => {
      const subnets = await (await c.account()).listSubnets(String(c.get('network.vpcId')));
      const byZone = new Map<string, string>();
      for (const s of subnets) if (!byZone.has(s.availabilityZone)) byZone.set(s.availabilityZone, s.subnetId);
      return [...byZone.values()].slice(0, 2);
    },
    check: async (value, c) => {
      const ids = value as string[];
      const subnets = await (await c.account()).listSubnets(String(c.get('network.vpcId')));
      const zones = new Set(subnets.filter((s) => ids.includes(s.subnetId)).map((s) => s.availabilityZone));
      return zones.size >= 2 ? true : 'pick subnets in at least 2 different availability zones (an ALB needs 2)';
    },
  },
  { id: 'network.vpcCidr', section: 'network', type: 'input', message: 'VPC CIDR block', when: newVpc, default: '10.0.0.0/16' },
  {
    id: 'network.subnetCidrs',
    section: 'network',
    type: 'list-of-cidrs',
    message: 'Public subnet CIDRs (comma-separated, one per availability zone)',
    when: newVpc,
    default: (c) => defaultSubnetCidrs(String(c.get('network.vpcCidr') ?? '10.0.0.0/16')),
  },

  {
    id: 'loadBalancer.https',
    section: 'load balancer',
    type: 'select',
    message: 'HTTPS?',
    virtual: {
      derive: (d) =>
        getPath(d, 'loadBalancer.certificateArn') !== undefined
          ? 'certificate'
          : getPath(d, 'loadBalancer.domain') !== undefined
            ? 'domain'
            : getPath(d, 'loadBalancer') !== undefined
              ? 'none'
              : undefined,
    },
    default: 'none',
    choices: () => [
      { name: 'No: plain HTTP on the load balancer\'s amazonaws.com name', value: 'none' },
      { name: 'Yes, on my domain (Route 53): request a free ACM certificate for it', value: 'domain', description: 'an alias record, a DNS-validated certificate, HTTP redirected to HTTPS' },
      { name: 'Yes, with my own ACM certificate', value: 'certificate' },
    ],
  },
  {
    id: 'loadBalancer.domain',
    section: 'load balancer',
    type: 'input',
    message: 'Domain name (its public hosted zone must be in this account\'s Route 53), e.g. app.example.com',
    when: (c) => httpsMode(c) === 'domain',
  },
  {
    id: 'loadBalancer.certificateArn',
    section: 'load balancer',
    type: 'input',
    message: 'ACM certificate ARN (in the stack\'s region)',
    when: (c) => httpsMode(c) === 'certificate',
  },
  {
    id: 'loadBalancer.domain',
    section: 'load balancer',
    type: 'input',
    optional: true,
    message: 'Domain name for an alias record to the load balancer (blank = none; its zone must be in this account\'s Route 53)',
    when: (c) => httpsMode(c) === 'certificate',
  },
  { id: 'loadBalancer.redirectHttp', section: 'load balancer', type: 'confirm', optional: true, message: 'Redirect HTTP :80 to HTTPS?', default: true, when: httpsOnQ },
  { id: 'loadBalancer.listenerPort', section: 'load balancer', type: 'number', message: 'Load balancer listener port', default: (c) => (httpsOnQ(c) ? 443 : 80) },
  {
    id: 'loadBalancer.ingressCidrs',
    section: 'load balancer',
    type: 'list-of-cidrs',
    message: 'Who may reach the load balancer? (CIDRs, comma-separated; 0.0.0.0/0 = anyone)',
    default: ['0.0.0.0/0'],
  },
  { id: 'loadBalancer.healthCheckPath', section: 'load balancer', type: 'input', message: 'Health check path', default: '/' },

  { id: 'instances.instanceType', section: 'instances', type: 'input', message: 'EC2 instance type', default: 't3.small', hint: instanceTypeHint },
  {
    id: 'network.availabilityZones',
    section: 'network',
    type: 'checkbox',
    optional: true,
    message: 'Availability zones for the subnets (only zones offering the instance type are listed)',
    when: newVpc,
    choices: async (c) => {
      const zones = await (await c.account()).zonesOffering(String(c.get('instances.instanceType')));
      const wanted = ((c.get('network.subnetCidrs') as string[] | undefined) ?? []).length || 2;
      return zones.map((z, k) => ({ name: z, value: z, checked: k < wanted }));
    },
  },
  {
    id: 'network.instanceSubnets',
    section: 'network',
    type: 'select',
    optional: true,
    message: 'Where do the instances run?',
    default: 'public',
    choices: async (c) => {
      const cost = await subnetDescriptions(c);
      return [
        { name: 'Public subnets, with public IPs (simplest)', value: 'public', ...(cost.public ? { description: cost.public } : {}) },
        {
          name: newVpc(c) ? 'Private subnets, out through NAT' : 'Private subnets of this VPC that route to a NAT gateway',
          value: 'private',
          description: newVpc(c) && cost.private ? cost.private : 'no public IPs on the instances; the load balancer stays public',
        },
      ];
    },
  },
  {
    id: 'network.natGateways',
    section: 'network',
    type: 'select',
    optional: true,
    message: 'NAT gateways',
    when: (c) => newVpc(c) && privateHosts(c),
    default: 1,
    choices: async (c) => {
      const [one, each] = await Promise.all([natGatewaysDescription(c, 1), natGatewaysDescription(c, zoneCount(c))]);
      return [
        { name: 'One for all zones (cheapest)', value: 1, ...(one ? { description: one } : {}) },
        ...(zoneCount(c) > 1 ? [{ name: `One per zone (${zoneCount(c)}): a zone's outage does not cut the others off`, value: zoneCount(c), ...(each ? { description: each } : {}) }] : []),
      ];
    },
  },
  {
    id: 'network.privateSubnetCidrs',
    section: 'network',
    type: 'list-of-cidrs',
    optional: true,
    message: 'Private subnet CIDRs (comma-separated, one per availability zone)',
    when: (c) => newVpc(c) && privateHosts(c),
    default: (c) => defaultPrivateSubnetCidrs(String(c.get('network.vpcCidr') ?? '10.0.0.0/16'), (c.get('network.subnetCidrs') as string[] | undefined) ?? []),
  },
  {
    id: 'network.privateSubnetIds',
    section: 'network',
    type: 'checkbox',
    message: 'Which private subnets for the instances? (each must route to a NAT gateway; the load balancer keeps the subnets above)',
    when: (c) => !newVpc(c) && privateHosts(c),
    choices: async (c) => {
      const chosen = (c.get('network.subnetIds') as string[] | undefined) ?? [];
      const subnets = await (await c.account()).listSubnets(String(c.get('network.vpcId')));
      return subnets.filter((s) => !chosen.includes(s.subnetId)).map((s) => ({ name: `${s.subnetId}  ${s.availabilityZone}  ${s.cidr}${s.name ? `  ${s.name}` : ''}`, value: s.subnetId }));
    },
  },
  {
    id: 'instances.launch',
    section: 'instances',
    type: 'select',
    message: 'How instances are launched',
    default: 'template',
    choices: () => [
      { name: 'Launch template (recommended)', value: 'template' },
      { name: 'Launch configuration (legacy accounts only; refused by accounts created since Oct 2024)', value: 'configuration' },
    ],
  },
  {
    id: 'instances.spot.enabled',
    section: 'instances',
    type: 'confirm',
    message: 'Use Spot capacity? (typically 50–70 % cheaper; AWS may take an instance back with 2 minutes\' notice)',
    when: (c) => c.get('instances.launch') !== 'configuration',
    // A file that sizes the group (desiredCapacity, asked after this) but has no spot key chose no Spot.
    virtual: { derive: (d) => (getPath(d, 'instances.spot') !== undefined ? true : getPath(d, 'instances.desiredCapacity') !== undefined ? false : undefined) },
    default: false,
    hint: spotHint,
  },
  {
    id: 'instances.spot.instanceTypes',
    section: 'instances',
    type: 'list',
    optional: true,
    message: 'Spot instance types (comma-separated, one architecture; more types, fewer interruptions)',
    when: usesSpot,
    default: (c) => [String(c.get('instances.instanceType') ?? 't3.small')],
  },
  { id: 'instances.spot.onDemandBaseCapacity', section: 'instances', type: 'number', optional: true, message: 'On-Demand instances before any Spot (base capacity)', default: 0, when: usesSpot },
  { id: 'instances.spot.onDemandPercentageAboveBase', section: 'instances', type: 'number', optional: true, message: 'On-Demand share above the base (%; 0 = all Spot)', default: 0, when: usesSpot },
  { id: 'instances.desiredCapacity', section: 'instances', type: 'number', message: 'Instances to start with (desired capacity)', default: 2, hint: hostHint },
  { id: 'instances.minSize', section: 'instances', type: 'number', message: 'Minimum instances', default: 1 },
  { id: 'instances.maxSize', section: 'instances', type: 'number', message: 'Maximum instances', default: 4 },
  { id: 'instances.keyName', section: 'instances', type: 'input', optional: true, message: 'EC2 key pair for SSH (blank = no SSH)' },
  {
    id: 'instances.sshCidr',
    section: 'instances',
    type: 'input',
    optional: true,
    message: 'Who may SSH to the instances? (a CIDR like 203.0.113.7/32; blank = nobody)',
    when: (c) => c.get('instances.keyName') !== undefined,
  },

  { id: 'service.image', section: 'service', type: 'input', quick: true, message: 'Container image', default: 'nginx:latest' },
  { id: 'service.containerPort', section: 'service', type: 'number', quick: true, message: 'Container port', default: 80 },
  { id: 'service.cpu', section: 'service', type: 'number', message: 'Task CPU units (1024 = one vCPU)', default: 256 },
  { id: 'service.memory', section: 'service', type: 'number', message: 'Task memory (MiB)', default: 512 },
  { id: 'service.desiredCount', section: 'service', type: 'number', message: 'Tasks to run (desired count)', default: 2 },
  { id: 'service.logs', section: 'service', type: 'confirm', optional: true, message: 'Send container logs to CloudWatch Logs?', default: true },
  {
    id: 'service.logRetentionDays',
    section: 'service',
    type: 'select',
    optional: true,
    message: 'Keep the logs for how many days?',
    default: 14,
    when: (c) => c.get('service.logs') !== false,
    choices: () => LOG_RETENTION_DAYS.map((d) => ({ name: `${d} days`, value: d })),
  },
  // Costs extra per metric (CloudWatch pricing), so the default is no.
  { id: 'cluster.containerInsights', section: 'service', type: 'confirm', optional: true, message: 'Turn on Container Insights (extra CloudWatch cost)?', default: false },

  { id: 'scaling.service.enabled', section: 'scaling', type: 'confirm', optional: true, message: 'Scale the service automatically?', default: true },
  { id: 'scaling.service.minCount', section: 'scaling', type: 'number', message: 'Minimum tasks', default: 1, when: scalesService },
  { id: 'scaling.service.maxCount', section: 'scaling', type: 'number', message: 'Maximum tasks', default: 6, when: scalesService },
  {
    id: 'scaling.service.metrics',
    section: 'scaling',
    type: 'checkbox',
    message: 'Scale on which metrics? (target tracking)',
    when: scalesService,
    virtual: {
      derive: (d) => {
        const chosen = (Object.keys(TARGETS) as ScalingMetric[]).filter((m) => getPath(d, TARGETS[m]) !== undefined);
        return chosen.length ? chosen : undefined;
      },
    },
    default: ['cpu'],
    choices: (c) => {
      const picked = (c.get('scaling.service.metrics') as string[] | undefined) ?? ['cpu'];
      return [
        { name: 'average CPU of the service', value: 'cpu', checked: picked.includes('cpu') },
        { name: 'average memory of the service', value: 'memory', checked: picked.includes('memory') },
        { name: 'ALB requests per task', value: 'requests', checked: picked.includes('requests') },
      ];
    },
    check: (value) => ((value as unknown[]).length ? true : 'pick at least one metric'),
  },
  { id: TARGETS.cpu, section: 'scaling', type: 'number', message: 'Target average CPU (%)', default: 60, when: metricChosen('cpu') },
  { id: TARGETS.memory, section: 'scaling', type: 'number', message: 'Target average memory (%)', default: 70, when: metricChosen('memory') },
  { id: TARGETS.requests, section: 'scaling', type: 'number', message: 'Target ALB requests per task', default: 1000, when: metricChosen('requests') },
  {
    id: 'scaling.instances.managed',
    section: 'scaling',
    type: 'select',
    message: 'How instances scale',
    default: true,
    choices: () => [
      { name: 'ECS capacity provider with managed scaling (recommended)', value: true },
      { name: 'Auto Scaling group target tracking on average CPU', value: false },
    ],
  },
  {
    id: 'scaling.instances.targetCapacityPercent',
    section: 'scaling',
    type: 'number',
    message: 'Target capacity (%) — below 100 keeps room so deploys start new tasks at once; 100 packs instances fully',
    default: 90,
    when: (c) => c.get('scaling.instances.managed') !== false,
  },
  {
    id: 'scaling.instances.targetCpuPercent',
    section: 'scaling',
    type: 'number',
    message: 'Target average instance CPU (%)',
    default: 60,
    when: (c) => c.get('scaling.instances.managed') === false,
  },
];

/**
 * The stack name offered at its prompt: the current directory's name, else the image's repository
 * name (when the answers file or a resumed draft gives the image), made a valid stack name —
 * and, when the state location already holds a stack of that name, the first free `<name>-<n>`.
 */
export async function suggestStackName(c: QuestionContext): Promise<string | undefined> {
  const image = c.get('service.image');
  const candidates = [c.cwd ? path.basename(c.cwd) : undefined, typeof image === 'string' ? repositoryName(image) : undefined];
  const name = candidates.map((x) => (x === undefined ? undefined : toStackName(x))).find((x) => x !== undefined);
  if (name === undefined) return undefined;
  const taken = new Set(await c.existingStacks().catch(() => []));
  for (let n = 1; n <= 1000; n++) {
    const suffix = n === 1 ? '' : `-${n}`;
    const candidate = toStackName(`${name.slice(0, STACK_NAME_MAX - suffix.length)}${suffix}`);
    if (candidate !== undefined && !taken.has(candidate)) return candidate;
  }
  return undefined;
}

/** `ghcr.io/acme/api:4.2` → `api`: the last component of the repository path. */
export function repositoryName(image: string): string {
  const ref = image.split('@')[0]!;
  const last = ref.slice(ref.lastIndexOf('/') + 1);
  return last.includes(':') ? last.slice(0, last.indexOf(':')) : last;
}

/** The text as a stack name (lowercase, hyphens for the rest, from its first letter, ≤ 28), or undefined when nothing valid is left. */
export function toStackName(text: string): string | undefined {
  const name = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, STACK_NAME_MAX)
    .replace(/-+$/, '');
  return stackNameSchema.safeParse(name).success ? name : undefined;
}
