import { z } from 'zod';
import { plural } from '../words.js';

/**
 * The one answers schema, shared by the prompts and by answers files, so a value a prompt would
 * refuse is refused in a file with the same message. Defaults live here too.
 */

/** Longest stack name: every name derived from it (ALB `<stack>-alb`, TG `<stack>-tg`) must fit AWS's 32. */
export const STACK_NAME_MAX = 28;

const ipv4Cidr = z.string().refine(
  (s) => {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(s);
    return !!m && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
  },
  { message: 'must be an IPv4 CIDR block like 10.0.0.0/16' },
);

export const stackNameSchema = z
  .string({ required_error: 'is required: a name for the stack, e.g. shop-web' })
  .min(1, 'must not be empty')
  .max(STACK_NAME_MAX, `must be at most ${STACK_NAME_MAX} characters (AWS limits load balancer names to 32, and "-alb" is appended)`)
  .regex(/^[a-z][a-z0-9-]*$/, 'must start with a lowercase letter and contain only lowercase letters, digits and hyphens')
  .refine((s) => !s.endsWith('-') && !s.includes('--'), 'must not end with a hyphen or contain two hyphens in a row')
  // AWS refuses load balancer names starting with "internal-" and security group names starting with "sg-".
  .refine((s) => !s.startsWith('internal-'), 'must not start with "internal-" (AWS refuses load balancer names that do, and the ALB is named <stack>-alb)')
  .refine((s) => !s.startsWith('sg-'), 'must not start with "sg-" (AWS refuses security group names that do, and the groups are named <stack>-alb and <stack>-instances)');

const port = z.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(1, 'must be 1–65535').max(65535, 'must be 1–65535');
const count = (max: number) => z.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(0, 'must be ≥ 0').max(max, `must be ≤ ${max}`);
const percent = z.number({ invalid_type_error: 'must be a number' }).min(1, 'must be 1–100').max(100, 'must be 1–100');

export const networkSchema = z
  .object({
    vpcCidr: ipv4Cidr.default('10.0.0.0/16'),
    subnetCidrs: z.array(ipv4Cidr).min(2, 'needs at least 2 subnets (an ALB needs 2 availability zones)').default(['10.0.0.0/24', '10.0.1.0/24']),
    availabilityZones: z.array(z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/, 'must be an availability zone name like us-east-1a')).optional(),
    vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'must be a VPC id like vpc-0abc1234').optional(),
    subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'must be a subnet id like subnet-0abc1234')).optional(),
    /** public: instances in the (public) subnets with public IPs; private: in private subnets, outbound through NAT. */
    instanceSubnets: z.enum(['public', 'private'], { message: 'must be "public" or "private"' }).default('public'),
    /** New VPC, private instances: one per zone (default: free /24s after subnetCidrs). */
    privateSubnetCidrs: z.array(ipv4Cidr).optional(),
    /** New VPC, private instances: 1 (one for all zones) or the zone count (one per zone). Default 1. */
    natGateways: z.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(1, 'must be 1 or the number of zones').optional(),
    /** Reused VPC, private instances: the instances' subnets (each routing to a NAT gateway); subnetIds then hold the load balancer. */
    privateSubnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'must be a subnet id like subnet-0abc1234')).optional(),
  })
  .strict();

/** An ACM certificate ARN in any partition (aws, aws-cn, aws-us-gov): arn:<partition>:acm:<region>:<account>:certificate/<uuid>. */
export const ACM_CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):(\d{12}):certificate\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Why a domain name is not one a public certificate and an alias record can serve, or undefined:
 * two or more labels of letters, digits and inner hyphens (1–63 each, 253 in all), no wildcard.
 */
export function domainProblem(name: string): string | undefined {
  const example = 'a domain name like app.example.com';
  if (name.startsWith('*.')) return `must be ${example}, not a wildcard: the stack serves one name`;
  if (name.length > 253) return `must be ${example} of at most 253 characters`;
  const labels = name.split('.');
  if (labels.length < 2) return `must be ${example} (a name inside a domain you own, with its parent domain)`;
  if (!labels.every((l) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(l))) return `must be ${example}: labels of lowercase letters, digits and inner hyphens, 1–63 characters each`;
  if (!/^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$/.test(labels[labels.length - 1]!)) return `must be ${example} ending in a top-level domain (.com, .org, …)`;
  return undefined;
}

export const loadBalancerSchema = z
  .object({
    /** Default 80, or 443 when HTTPS is on (certificateArn or domain): filled in by answersSchema. */
    listenerPort: port.optional(),
    ingressCidrs: z.array(ipv4Cidr).min(1, 'needs at least one CIDR allowed to reach the load balancer').default(['0.0.0.0/0']),
    healthCheckPath: z.string().regex(/^\/[\x21-\x7e]{0,1023}$/, 'must be a URL path starting with /').default('/'),
    /** HTTPS with this ACM certificate (never deleted by ecs-wizard). */
    certificateArn: z
      .string()
      .regex(ACM_CERTIFICATE_ARN, 'must be an ACM certificate ARN: arn:<partition>:acm:<region>:<account>:certificate/<id>, e.g. from `aws acm list-certificates`')
      .optional(),
    /** An alias record in the Route 53 public zone holding it; without certificateArn a DNS-validated certificate is requested. */
    domain: z
      .string()
      .transform((d) => d.toLowerCase().replace(/\.$/, ''))
      .superRefine((d, ctx) => {
        const problem = domainProblem(d);
        if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
      })
      .optional(),
    /** With HTTPS: HTTP :80 answers 301 to HTTPS. Default true with HTTPS. */
    redirectHttp: z.boolean({ invalid_type_error: 'must be true or false' }).optional(),
  })
  .strict();

const instanceType = z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'must be an EC2 instance type like t3.small');

export const instancesSchema = z
  .object({
    instanceType: instanceType.default('t3.small'),
    launch: z.enum(['template', 'configuration'], { message: 'must be "template" or "configuration"' }).default('template'),
    minSize: count(1000).default(1),
    maxSize: count(1000).default(4),
    desiredCapacity: count(1000).default(2),
    keyName: z.string().min(1).max(255).optional(),
    sshCidr: ipv4Cidr.optional(),
    amiId: z.string().regex(/^ami-[0-9a-f]{8,17}$/, 'must be an AMI id like ami-0abc1234').optional(),
    /** A mixed instances policy: Spot capacity above an on-demand base. */
    spot: z
      .object({
        // Auto Scaling takes at most 40 launch template overrides.
        instanceTypes: z.array(instanceType).min(1, 'needs at least one instance type').max(40, 'may list at most 40 instance types (Auto Scaling\'s limit)').optional(),
        onDemandBaseCapacity: count(1000).default(0),
        onDemandPercentageAboveBase: z.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(0, 'must be 0–100').max(100, 'must be 0–100').default(0),
      })
      .strict()
      .optional(),
  })
  .strict();

/** The retention periods CloudWatch Logs accepts (PutRetentionPolicy refuses any other). */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** Any partition (aws, aws-cn, aws-us-gov, …); a Secrets Manager ARN may end in :json-key:stage:version. */
const SECRET_ARN = /^arn:aws[a-z-]*:(ssm:[a-z0-9-]+:\d{12}:parameter\/\S+|secretsmanager:[a-z0-9-]+:\d{12}:secret:\S+)$/;
/** The name of an SSM parameter in the stack's own region (ECS accepts a name there), e.g. /shop/db-password. */
const SSM_PARAMETER_NAME = /^(?!arn:)\/?[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;

/** An IAM role of any partition, with its path: arn:<partition>:iam::<account>:role/[path/]name. */
export const IAM_ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
/** A managed policy: AWS's (account "aws") or the account's own. */
const MANAGED_POLICY_ARN = /^arn:aws[a-z-]*:iam::(aws|\d{12}):policy\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,128}$/;
/** The IAM path under which the documented operator policy may pass a role the user brings. */
export const BROUGHT_ROLE_PATH = '/ecs-wizard/';

const DOMAIN = /^(localhost|[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)(:\d+)?$/;
const PATH_COMPONENT = /^[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

/**
 * Checks an image reference against Docker's reference grammar: `[registry/]path[:tag][@digest]`.
 * The registry host may contain uppercase letters; the repository path may not (Docker and ECS
 * refuse it). The first component is a registry when it holds a dot or a port, is "localhost", or
 * has an uppercase letter — as Docker decides.
 */
export function imageReferenceProblem(ref: string): string | undefined {
  const example = 'an image reference like nginx:latest or 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.0';
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) [rest, digest] = [rest.slice(0, at), rest.slice(at + 1)];
  if (digest !== undefined && !DIGEST.test(digest)) return `must be ${example} (the digest after @ is not valid)`;
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  const hasRegistry = slash >= 0 && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase());
  if (hasRegistry && !DOMAIN.test(first)) return `must be ${example} (the registry "${first}" is not a host name)`;
  let path = hasRegistry ? rest.slice(slash + 1) : rest;
  const colon = path.lastIndexOf(':');
  if (colon >= 0) {
    const tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!TAG.test(tag)) return `must be ${example} (the tag "${tag}" may hold only letters, digits, _ . - and at most 128 characters)`;
  }
  if (path === '') return `must be ${example}`;
  const components = path.split('/');
  if (components.some((c) => c !== c.toLowerCase())) return `must have a lowercase repository name ("${path}"): Docker and ECS refuse uppercase letters there (only the registry host may have them)`;
  if (!components.every((c) => PATH_COMPONENT.test(c))) return `must be ${example} (the repository "${path}" may hold only lowercase letters, digits, and . _ - between them)`;
  return undefined;
}

/**
 * A service's auto scaling: the stack's `scaling.service` (the default of every service), or a
 * service's own `scaling` (which replaces it whole, with these defaults).
 */
export const serviceScalingSchema = z
  .object({
    enabled: z.boolean().default(true),
    minCount: count(1000).default(1),
    maxCount: count(1000).default(6),
    targetCpuPercent: percent.optional(),
    targetMemoryPercent: percent.optional(),
    requestsPerTarget: z.number().int().min(1).max(1_000_000).optional(),
    scaleInCooldownSeconds: z.number().int().min(0).max(3600).default(300),
    scaleOutCooldownSeconds: z.number().int().min(0).max(3600).default(60),
  })
  .strict();

/**
 * An ALB path pattern: up to 128 characters of those ALB allows (A–Z a–z 0–9 _ - . $ / ~ " ' @ : + &),
 * with `*` (any run) and `?` (one character) wildcards; it matches the URL's path, so it starts with / or a wildcard.
 */
export const ALB_PATH_PATTERN = /^[/*?][A-Za-z0-9_\-.$/~"'@:+&*?]{0,127}$/;
/** An ALB host condition: up to 128 characters of letters, digits, - and ., with * and ? wildcards (`*.example.com`). */
export const ALB_HOST_PATTERN = /^(?!\.)(?!.*\.\.)[A-Za-z0-9*?.-]{1,128}(?<!\.)$/;

export const serviceSchema = z
  .object({
    image: z
      .string()
      .superRefine((ref, ctx) => {
        const problem = imageReferenceProblem(ref);
        if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
      })
      .default('nginx:latest'),
    ecrRepository: z.string().regex(/^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/, 'must be a repository name of lowercase letters, digits, . _ - and /').max(256).optional(),
    /** 80 for a load-balanced service when not given (filled by answersSchema); a worker has a port only when given. */
    containerPort: port.optional(),
    cpu: z.number({ invalid_type_error: 'must be a number' }).int().min(128, 'must be at least 128 CPU units (1024 = one vCPU)').max(10240, 'must be at most 10240 CPU units').default(256),
    memory: z.number({ invalid_type_error: 'must be a number' }).int().min(128, 'must be at least 128 MiB').max(122880, 'must be at most 122880 MiB').default(512),
    desiredCount: count(1000).default(2),
    environment: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment variable names must be letters, digits and _'), z.string()).default({}),
    /** Container logs to CloudWatch Logs (awslogs driver), group /ecs/<stack>. */
    logs: z.boolean({ invalid_type_error: 'must be true or false' }).default(true),
    logRetentionDays: z
      .number({ invalid_type_error: 'must be a number' })
      .refine((n) => (LOG_RETENTION_DAYS as readonly number[]).includes(n), `must be one of CloudWatch Logs' retention periods: ${LOG_RETENTION_DAYS.join(', ')}`)
      .default(14),
    /** NAME → ARN of an SSM parameter or Secrets Manager secret, or an SSM parameter name; ECS injects the value, ecs-wizard never sees it. */
    secrets: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'secret names must be letters, digits and _'),
        z
          .string()
          .refine(
            (v) => SECRET_ARN.test(v) || SSM_PARAMETER_NAME.test(v),
            'must be the ARN of an SSM parameter (arn:<partition>:ssm:<region>:<account>:parameter/…) or a Secrets Manager secret (arn:<partition>:secretsmanager:<region>:<account>:secret:…), or the name of an SSM parameter in the stack\'s region (/shop/db-password)',
          ),
      )
      .default({}),
    /** The application's own role, brought by the user (ECS passes it to the containers); the stack makes none. */
    taskRoleArn: z.string().regex(IAM_ROLE_ARN, 'must be an IAM role ARN: arn:<partition>:iam::<account>:role/[path/]name, e.g. …:role/ecs-wizard/shop-app').optional(),
    /** The stack makes its own task role, <stack>-ecs-task (under the boundary), with these managed policies attached. */
    taskRolePolicies: z
      .array(z.string().regex(MANAGED_POLICY_ARN, 'must be a managed policy ARN: arn:<partition>:iam::aws:policy/… or arn:<partition>:iam::<account>:policy/…'))
      .max(20, 'may list at most 20 policies (IAM attaches at most 20 managed policies to a role, 10 unless the quota was raised)')
      .optional(),
    // Several services on one stack (issue 23): the route, workers, and what each service may change
    // of the stack's defaults. All optional without defaults, so the answers of a stack made before
    // them re-read and rewrite unchanged; the defaults are servicesOf()'s (steps/services.ts).
    /** An ALB path pattern routing to this service (`/api/*`); with `host`, both must match. */
    path: z.string({ invalid_type_error: 'must be a path pattern like /api/*' }).regex(ALB_PATH_PATTERN, 'must be an ALB path pattern like /api/* (up to 128 characters: letters, digits, _ - . $ / ~ " \' @ : + & and the wildcards * and ?)').optional(),
    /** A host name routing to this service (`api.example.com`, `*.example.com`). */
    host: z.string({ invalid_type_error: 'must be a host name like api.example.com' }).regex(ALB_HOST_PATTERN, 'must be a host name like api.example.com or *.example.com (up to 128 characters: letters, digits, - and ., with the wildcards * and ?)').optional(),
    /** The listener rule's priority (1–50000, lower first); otherwise derived from the order of the services. */
    priority: z.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(1, 'must be 1–50000').max(50000, 'must be 1–50000').optional(),
    /** false: a worker, with no target group, no listener rule and no port needed. Default true. */
    loadBalanced: z.boolean({ invalid_type_error: 'must be true or false' }).optional(),
    /** The container's command (its image's CMD otherwise). */
    command: z.array(z.string({ invalid_type_error: 'must be a string' }), { invalid_type_error: 'must be a list of strings, like [node, worker.js]' }).min(1, 'needs at least one word (the program to run)').optional(),
    /** The target group's health check path; default loadBalancer.healthCheckPath. */
    healthCheckPath: z.string().regex(/^\/[\x21-\x7e]{0,1023}$/, 'must be a URL path starting with /').optional(),
    /** This service's own auto scaling; default scaling.service. */
    scaling: serviceScalingSchema.optional(),
    /** ECS Exec into the service's containers. Default false. */
    exec: z.boolean({ invalid_type_error: 'must be true or false' }).optional(),
    /** ECS Service Connect: reachable by its name inside the stack. Default false. */
    discovery: z.boolean({ invalid_type_error: 'must be true or false' }).optional(),
  })
  .strict();

/** Container Insights costs money per metric: off unless asked. */
export const clusterSchema = z.object({ containerInsights: z.boolean({ invalid_type_error: 'must be true or false' }).default(false) }).strict();

export const scalingSchema = z
  .object({
    service: serviceScalingSchema.default({}),
    instances: z
      .object({
        managed: z.boolean().default(true),
        /**
         * Below 100 the capacity provider keeps an instance's worth of room: a rolling deploy's new
         * tasks start at once instead of waiting minutes for an instance (see npm run bench, deploy).
         */
        targetCapacityPercent: percent.default(90),
        /** Used when managed is false: a plain ASG target-tracking policy on average CPU. */
        targetCpuPercent: percent.default(60),
      })
      .strict()
      .default({}),
  })
  .strict();

const tagKey = z
  .string()
  .min(1)
  .max(128, 'tag keys must be at most 128 characters')
  .regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u, 'tag keys may contain only letters, digits, spaces and _ . : / = + - @')
  .refine((k) => !k.toLowerCase().startsWith('aws:'), 'tag keys must not start with "aws:" (reserved by AWS)')
  .refine((k) => k !== 'ecs-wizard:stack' && k !== 'ecs-wizard:service', (k) => ({ message: `"${k}" is set by ecs-wizard itself` }));

const answersObject = z
  .object({
    stack: stackNameSchema,
    region: z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, 'must be an AWS region like us-east-1').optional(),
    network: networkSchema.default({}),
    loadBalancer: loadBalancerSchema.default({}),
    instances: instancesSchema.default({}),
    /** One service, named after the stack; without `services` it takes its defaults. */
    service: serviceSchema.optional(),
    /** Several services by name (the one named after the stack keeps the `service` names); not with `service`. */
    services: z.record(z.string(), serviceSchema, { invalid_type_error: 'must be a map of service names to their answers' }).optional(),
    cluster: clusterSchema.default({}),
    scaling: scalingSchema.default({}),
    tags: z.record(tagKey, z.string().max(256, 'tag values must be at most 256 characters')).default({}),
  })
  .strict();

export const answersSchema = answersObject
  .superRefine((a, ctx) => {
    // `reads`: the other answers the rule looks at, so the wizard checks it as soon as all are answered.
    const issue: IssueFn = (path, message, ...reads) => ctx.addIssue({ code: z.ZodIssueCode.custom, path, message, ...(reads.length ? { params: { reads } } : {}) });
    const i = a.instances;
    if (i.minSize > i.desiredCapacity) issue(['instances', 'minSize'], `must be ≤ desiredCapacity (${i.desiredCapacity})`, 'instances.desiredCapacity');
    if (i.desiredCapacity > i.maxSize) issue(['instances', 'maxSize'], `must be ≥ desiredCapacity (${i.desiredCapacity})`, 'instances.desiredCapacity');
    const s = a.scaling.service;
    // Each service's counts within its scaling (where a one-service stack always had them), the rest of the services' rules below.
    serviceRules(a, issue, 'counts');
    const n = a.network;
    if ((n.vpcId === undefined) !== (n.subnetIds === undefined)) {
      issue(['network', n.vpcId === undefined ? 'vpcId' : 'subnetIds'], 'vpcId and subnetIds go together: give both to reuse an existing VPC, or neither to create one', 'network.vpcId', 'network.subnetIds');
    }
    if (n.subnetIds !== undefined && n.subnetIds.length < 2) issue(['network', 'subnetIds'], 'needs at least 2 subnets in different availability zones');
    if (n.subnetIds !== undefined && new Set(n.subnetIds).size !== n.subnetIds.length) issue(['network', 'subnetIds'], 'lists the same subnet twice');
    if (n.vpcId === undefined) networkRules(n, issue);
    if (i.maxSize < 1) issue(['instances', 'maxSize'], 'must be at least 1 so the service has instances to run on');
    if (s.enabled && s.minCount > s.maxCount) issue(['scaling', 'service', 'maxCount'], `must be ≥ scaling.service.minCount (${s.minCount})`, 'scaling.service.enabled', 'scaling.service.minCount');
    serviceRules(a, issue, 'rest');
    const userTags = Object.keys(a.tags).length;
    // AWS allows 50 tags per resource; ecs-wizard adds Name and ecs-wizard:stack and keeps headroom.
    if (userTags > MAX_USER_TAGS) issue(['tags'], `has ${userTags} tags; at most ${MAX_USER_TAGS} (AWS allows 50 per resource, ecs-wizard adds its own)`);
    productionRules(a, issue);
  })
  .transform(withDerivedDefaults);

/** AWS allows 50 tags per resource; ecs-wizard sets Name and ecs-wizard:stack itself. */
export const MAX_USER_TAGS = 45;

/** Adds a problem at `path`; `reads` names the other answers (dotted paths) the rule looks at. */
type IssueFn = (path: (string | number)[], message: string, ...reads: string[]) => void;

/** Service names: short (they go into AWS names after the stack's), no trailing or double hyphen. */
export const SERVICE_NAME = /^[a-z](?:[a-z0-9]|-(?!-|$)){0,15}$/;

/** A service's answers as the schema parses them (before servicesOf() fills the defaults that depend on the stack). */
export type ServiceAnswers = z.output<typeof serviceSchema>;

/** One service of the answers, in file order: its name, where its answers are, and the answers. */
export interface ServiceEntry {
  name: string;
  /** The answers path of its answers: `service` or `services.<name>`. */
  at: string;
  answers: ServiceAnswers;
}

/**
 * The services the answers name, in file order: `service:` is the one service named after the
 * stack; `services:` each by its key. Neither (answers before the schema's defaults): none.
 */
export function serviceEntries(a: { stack: string; service?: ServiceAnswers; services?: Record<string, ServiceAnswers> }): ServiceEntry[] {
  if (a.services !== undefined) return Object.entries(a.services).map(([name, answers]) => ({ name, at: `services.${name}`, answers }));
  return a.service !== undefined ? [{ name: a.stack, at: 'service', answers: a.service }] : [];
}

/**
 * The rules of the services (issue 23), each problem at its own path: `service` or `services`
 * (not both); names; exactly one load-balanced service on the listener's default route (neither
 * path nor host); routes only on load-balanced services; distinct priorities and ECR
 * repositories; and per service what `service` always had: counts within its scaling, a secret
 * not also a variable, one kind of task role.
 */
function serviceRules(a: ParsedAnswers, issue: IssueFn, part: 'counts' | 'rest'): void {
  const entries = serviceEntries({ ...a, service: a.service ?? (a.services === undefined ? serviceSchema.parse({}) : undefined) });
  if (part === 'counts') {
    for (const e of entries) serviceCountRules(a, e, issue);
    return;
  }
  if (a.service !== undefined && a.services !== undefined) {
    issue(['services'], 'and service exclude each other: service is the one service named after the stack; give several under services (the one named after the stack keeps that service\'s resources), not both', 'service');
  }
  if (a.services !== undefined && Object.keys(a.services).length === 0) issue(['services'], 'needs at least one service');
  const path = (e: ServiceEntry, ...rest: (string | number)[]): (string | number)[] => [...e.at.split('.'), ...rest];
  for (const e of entries) {
    const sv = e.answers;
    const key = (k: string): string => `${e.at}.${k}`;
    if (e.at !== 'service' && e.name !== a.stack) {
      if (!SERVICE_NAME.test(e.name)) issue(path(e), `is not a service name: 1–16 lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen (or the stack's own name, ${a.stack}, for the service named after the stack)`);
      else if (e.name === 'ecs') issue(path(e), 'is reserved: the service named after the stack writes its logs under the stream prefix "ecs"; pick another name');
    }
    const worker = sv.loadBalanced === false;
    if (worker) {
      for (const k of ['path', 'host', 'priority', 'healthCheckPath'] as const) {
        if (sv[k] !== undefined) issue(path(e, k), `applies only to a load-balanced service, and ${e.name} has loadBalanced: false (a worker: no target group, no listener rule)`, key('loadBalanced'));
      }
      if (sv.scaling?.requestsPerTarget !== undefined) issue(path(e, 'scaling', 'requestsPerTarget'), `needs a load balancer, and ${e.name} has loadBalanced: false: scale a worker on CPU or memory`, key('loadBalanced'));
      else if (sv.scaling === undefined && a.scaling.service.enabled && a.scaling.service.requestsPerTarget !== undefined) {
        issue(['scaling', 'service', 'requestsPerTarget'], `applies to every service without scaling of its own, and ${e.name} has no load balancer (loadBalanced: false): give ${key('scaling')} on CPU or memory`, key('loadBalanced'), key('scaling'));
      }
    }
    for (const name of Object.keys(sv.secrets)) {
      if (name in sv.environment) issue(path(e, 'secrets', name), `is also set in ${key('environment')}: give it in one place only`);
    }
    if (sv.taskRoleArn !== undefined && sv.taskRolePolicies !== undefined) {
      issue(path(e, 'taskRoleArn'), `and ${key('taskRolePolicies')} exclude each other: give taskRoleArn to use a role of your own, or taskRolePolicies for a role the stack makes — not both`);
    }
    (sv.taskRolePolicies ?? []).forEach((arn, k, all) => {
      if (all.indexOf(arn) < k) issue(path(e, 'taskRolePolicies', k), `lists ${arn} twice`);
    });
  }
  // The listener's default action goes to exactly one load-balanced service: the one without path and host.
  const balanced = entries.filter((e) => e.answers.loadBalanced !== false);
  const defaults = balanced.filter((e) => e.answers.path === undefined && e.answers.host === undefined);
  const routes = entries.flatMap((e) => [key(e, 'path'), key(e, 'host'), key(e, 'loadBalanced')]);
  if (entries.length && defaults.length === 0) {
    issue([entries[0]!.at.split('.')[0]!], balanced.length
      ? `has no load-balanced service without path and host: exactly one takes the listener's default route (every request no rule matches); leave path and host out on one of ${balanced.map((e) => e.name).join(', ')}`
      : 'has no load-balanced service: the stack\'s load balancer needs one (without path and host) for its default route', ...routes);
  } else if (defaults.length > 1) {
    for (const e of defaults.slice(1)) {
      issue(path(e), `has neither path nor host, like ${defaults[0]!.name}: only one service takes the listener's default route; give the others a path or a host`, ...routes);
    }
  }
  const priorities = new Map<number, string>();
  for (const e of entries) {
    const p = e.answers.priority;
    if (p === undefined || e.answers.loadBalanced === false) continue;
    const other = priorities.get(p);
    if (other !== undefined) issue(path(e, 'priority'), `is ${p}, like services.${other}.priority: each listener rule needs its own priority`, `services.${other}.priority`);
    else priorities.set(p, e.name);
  }
  const repositories = new Map<string, string>();
  for (const e of entries) {
    const r = e.answers.ecrRepository;
    if (r === undefined) continue;
    const other = repositories.get(r);
    if (other !== undefined) issue(path(e, 'ecrRepository'), `is ${r}, like ${other}'s: each service's repository is its own (the service removed last would delete it)`);
    else repositories.set(r, e.name);
  }
}

const key = (e: ServiceEntry, k: string): string => `${e.at}.${k}`;

/** A service's desired count within its scaling's bounds (its own `scaling`, else the stack's `scaling.service`). */
function serviceCountRules(a: ParsedAnswers, e: ServiceEntry, issue: IssueFn): void {
  const sv = e.answers;
  const path = (...rest: (string | number)[]): (string | number)[] => [...e.at.split('.'), ...rest];
  const own = sv.scaling;
  const sc = own ?? a.scaling.service;
  if (!sc.enabled) return;
  const at = own ? path('scaling') : ['scaling', 'service'];
  const reads = own ? [key(e, 'scaling.enabled'), key(e, 'desiredCount')] : ['scaling.service.enabled', key(e, 'desiredCount')];
  const which = own || e.at === 'service' ? '' : ` (the stack's scaling, which ${e.name} uses)`;
  if (sc.minCount > sv.desiredCount) issue([...at, 'minCount'], `must be ≤ ${key(e, 'desiredCount')} (${sv.desiredCount})${which}`, ...reads);
  if (sv.desiredCount > sc.maxCount) issue([...at, 'maxCount'], `must be ≥ ${key(e, 'desiredCount')} (${sv.desiredCount})${which}`, ...reads);
  if (own && sc.minCount > sc.maxCount) issue(path('scaling', 'maxCount'), `must be ≥ ${key(e, 'scaling.minCount')} (${sc.minCount})`, key(e, 'scaling.enabled'), key(e, 'scaling.minCount'));
}

/** A new VPC (no vpcId): network address, /16–/28, subnets inside it, no overlap, one AZ per subnet. */
function networkRules(n: z.output<typeof networkSchema>, ruleIssue: IssueFn): void {
  const issue: IssueFn = (path, message, ...reads) => ruleIssue(path, message, 'network.vpcId', ...reads);
  const vpc = parseCidr(n.vpcCidr);
  if (vpc && !isNetworkAddress(vpc)) issue(['network', 'vpcCidr'], `must be a network address (${cidrString(vpc)}), not a host inside it`);
  if (vpc && (vpc.prefix < 16 || vpc.prefix > 28)) issue(['network', 'vpcCidr'], 'must have a prefix from /16 to /28 (AWS VPC limits)');
  const subnets = n.subnetCidrs.map(parseCidr);
  subnets.forEach((sub, k) => {
    if (!sub) return;
    const path = ['network', 'subnetCidrs', k];
    if (!isNetworkAddress(sub)) issue(path, `must be a network address (${cidrString(sub)}), not a host inside it`);
    if (sub.prefix < 16 || sub.prefix > 28) issue(path, 'must have a prefix from /16 to /28 (AWS subnet limits)');
    if (vpc && !contains(vpc, sub)) issue(path, `must be inside the VPC CIDR ${n.vpcCidr}`, 'network.vpcCidr');
    subnets.slice(0, k).forEach((other, j) => {
      if (other && overlaps(other, sub)) issue(path, `overlaps network.subnetCidrs.${j} (${n.subnetCidrs[j]})`);
    });
  });
  const azs = n.availabilityZones;
  if (azs !== undefined) {
    if (new Set(azs).size !== azs.length) issue(['network', 'availabilityZones'], 'lists the same availability zone twice');
    if (azs.length < 2) issue(['network', 'availabilityZones'], 'needs at least 2 availability zones (an ALB needs 2)');
    if (azs.length < n.subnetCidrs.length) issue(['network', 'availabilityZones'], `needs one zone per subnet (${plural(n.subnetCidrs.length, 'subnet')}, ${plural(azs.length, 'zone')})`, 'network.subnetCidrs');
  }
}

export interface Cidr {
  base: number;
  prefix: number;
}

export function parseCidr(s: string): Cidr | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(s);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  return { base: octets.reduce((acc, o) => acc * 256 + o, 0), prefix };
}

const size = (c: Cidr): number => 2 ** (32 - c.prefix);
const networkOf = (c: Cidr): number => c.base - (c.base % size(c));
const isNetworkAddress = (c: Cidr): boolean => networkOf(c) === c.base;
const contains = (outer: Cidr, inner: Cidr): boolean =>
  inner.prefix >= outer.prefix && networkOf(inner) >= networkOf(outer) && networkOf(inner) + size(inner) <= networkOf(outer) + size(outer);
const overlaps = (a: Cidr, b: Cidr): boolean => networkOf(a) < networkOf(b) + size(b) && networkOf(b) < networkOf(a) + size(a);

export function cidrString(c: Cidr): string {
  const n = networkOf(c);
  return `${[24, 16, 8, 0].map((sh) => Math.floor(n / 2 ** sh) % 256).join('.')}/${c.prefix}`;
}

/** The first `count` subnets of the given prefix inside a VPC CIDR: a sensible default for new subnets. */
export function defaultSubnetCidrs(vpcCidr: string, count = 2): string[] {
  const vpc = parseCidr(vpcCidr);
  if (!vpc) return [];
  const prefix = Math.min(Math.max(vpc.prefix + 2, 24), 28);
  const step = 2 ** (32 - prefix);
  return Array.from({ length: count }, (_, k) => cidrString({ base: networkOf(vpc) + k * step, prefix })).filter((c) => contains(vpc, parseCidr(c)!));
}

/**
 * HTTPS, private instances and Spot: the rules between their keys (each problem at its own path).
 * HTTPS is on with a certificate or a domain; the redirect listener takes port 80.
 */
function productionRules(a: ParsedAnswers, issue: IssueFn): void {
  const lb = a.loadBalancer;
  const https = lb.certificateArn !== undefined || lb.domain !== undefined;
  const httpsKeys = ['loadBalancer.certificateArn', 'loadBalancer.domain'];
  if (!https && lb.redirectHttp !== undefined) issue(['loadBalancer', 'redirectHttp'], 'applies only with HTTPS: give loadBalancer.domain or loadBalancer.certificateArn, or leave it out', ...httpsKeys);
  if (https && lb.redirectHttp !== false && lb.listenerPort === 80) {
    issue(['loadBalancer', 'listenerPort'], 'is 80, which the HTTP → HTTPS redirect uses: leave it out (443 with HTTPS), pick another port, or set redirectHttp: false', ...httpsKeys, 'loadBalancer.redirectHttp');
  }
  const certRegion = lb.certificateArn !== undefined ? ACM_CERTIFICATE_ARN.exec(lb.certificateArn)?.[1] : undefined;
  if (certRegion && a.region && certRegion !== a.region) {
    issue(['loadBalancer', 'certificateArn'], `is a certificate of ${certRegion}; a load balancer in ${a.region} needs a certificate of its own region`, 'region');
  }

  const n = a.network;
  const at = (key: string): (string | number)[] => ['network', key];
  productionNetworkRules(n, at, (path, message, ...reads) => issue(path, message, 'network.instanceSubnets', 'network.vpcId', ...reads));

  const spot = a.instances.spot;
  if (spot !== undefined) {
    if (a.instances.launch === 'configuration') issue(['instances', 'spot'], 'needs instances.launch: template (a mixed instances policy cannot use a launch configuration)', 'instances.launch');
    const types = spot.instanceTypes ?? [];
    types.forEach((t, k) => {
      if (types.indexOf(t) < k) issue(['instances', 'spot', 'instanceTypes', k], `lists ${t} twice`);
    });
  }
}

/** Private instances: the keys that go with them, in a new VPC or an existing one (each rule reads instanceSubnets and vpcId). */
function productionNetworkRules(n: ParsedAnswers['network'], at: (key: string) => (string | number)[], issue: IssueFn): void {
  if (n.instanceSubnets !== 'private') {
    for (const key of ['privateSubnetCidrs', 'natGateways', 'privateSubnetIds'] as const) {
      if (n[key] !== undefined) issue(at(key), 'applies only with network.instanceSubnets: private');
    }
  } else if (n.vpcId !== undefined) {
    for (const key of ['privateSubnetCidrs', 'natGateways'] as const) {
      if (n[key] !== undefined) issue(at(key), 'applies to a new VPC only: in an existing VPC give network.privateSubnetIds, subnets that already route to a NAT gateway');
    }
    if (n.privateSubnetIds === undefined) issue(at('privateSubnetIds'), 'is required with instanceSubnets: private in an existing VPC: the instances\' subnets (each routing to a NAT gateway); network.subnetIds then hold the load balancer');
    else if (new Set(n.privateSubnetIds).size !== n.privateSubnetIds.length) issue(at('privateSubnetIds'), 'lists the same subnet twice');
    else if (n.privateSubnetIds.length === 0) issue(at('privateSubnetIds'), 'needs at least one subnet');
    const both = (n.privateSubnetIds ?? []).filter((id) => n.subnetIds?.includes(id));
    if (both.length) issue(at('privateSubnetIds'), `${both.join(', ')} ${both.length === 1 ? 'is' : 'are'} also in network.subnetIds: the load balancer's subnets are public, the instances' private`, 'network.subnetIds');
  } else {
    const zones = n.subnetCidrs.length;
    if (n.natGateways !== undefined && n.natGateways !== 1 && n.natGateways !== zones) {
      issue(at('natGateways'), `must be 1 (one NAT gateway for all zones) or ${zones} (one per zone, as many as network.subnetCidrs)`, 'network.subnetCidrs');
    }
    if (n.privateSubnetCidrs === undefined) {
      if (parseCidr(n.vpcCidr) && defaultPrivateSubnetCidrs(n.vpcCidr, n.subnetCidrs).length < zones) {
        issue(at('privateSubnetCidrs'), `the VPC ${n.vpcCidr} has no room for ${zones} more subnets after network.subnetCidrs: give privateSubnetCidrs, or a larger vpcCidr`, 'network.vpcCidr', 'network.subnetCidrs');
      }
    } else {
      privateCidrRules(n.vpcCidr, n.subnetCidrs, n.privateSubnetCidrs, (path, message, ...reads) => issue(path, message, 'network.vpcCidr', 'network.subnetCidrs', ...reads));
    }
  }
}

/** Private subnets of a new VPC: one per zone, inside the VPC, overlapping neither the public subnets nor each other. */
function privateCidrRules(vpcCidr: string, publicCidrs: string[], privateCidrs: string[], issue: IssueFn): void {
  const vpc = parseCidr(vpcCidr);
  const path = (k?: number): (string | number)[] => ['network', 'privateSubnetCidrs', ...(k === undefined ? [] : [k])];
  if (privateCidrs.length !== publicCidrs.length) {
    issue(path(), `needs one subnet per zone: ${publicCidrs.length} (as many as network.subnetCidrs), got ${privateCidrs.length}`);
  }
  const publics = publicCidrs.map(parseCidr);
  const privates = privateCidrs.map(parseCidr);
  privates.forEach((sub, k) => {
    if (!sub) return;
    if (!isNetworkAddress(sub)) issue(path(k), `must be a network address (${cidrString(sub)}), not a host inside it`);
    if (sub.prefix < 16 || sub.prefix > 28) issue(path(k), 'must have a prefix from /16 to /28 (AWS subnet limits)');
    if (vpc && !contains(vpc, sub)) issue(path(k), `must be inside the VPC CIDR ${vpcCidr}`);
    publics.forEach((other, j) => {
      if (other && overlaps(other, sub)) issue(path(k), `overlaps network.subnetCidrs.${j} (${publicCidrs[j]})`);
    });
    privates.slice(0, k).forEach((other, j) => {
      if (other && overlaps(other, sub)) issue(path(k), `overlaps network.privateSubnetCidrs.${j} (${privateCidrs[j]})`);
    });
  });
}

/**
 * The default private subnets: the first free blocks after the public ones, one per public subnet
 * (zone), of /24 — or of the public subnets' size when the VPC is too small for /24s. Fewer than
 * needed when the VPC has no room.
 */
export function defaultPrivateSubnetCidrs(vpcCidr: string, publicCidrs: string[]): string[] {
  const vpc = parseCidr(vpcCidr);
  const publics = publicCidrs.map(parseCidr).filter((c): c is Cidr => c !== undefined);
  if (!vpc) return [];
  const prefix = Math.min(28, Math.max(24, vpc.prefix, ...publics.map((c) => c.prefix)));
  const step = 2 ** (32 - prefix);
  const end = networkOf(vpc) + size(vpc);
  const highest = Math.max(networkOf(vpc), ...publics.map((c) => networkOf(c) + size(c)));
  const out: string[] = [];
  for (let base = Math.ceil(highest / step) * step; base + step <= end && out.length < publicCidrs.length; base += step) {
    const c = { base, prefix };
    if (!publics.some((p) => overlaps(p, c))) out.push(cidrString(c));
  }
  return out;
}

type ParsedAnswers = z.output<typeof answersObject>;

/** HTTPS is on with a certificate or a domain. */
export function httpsOn(lb: { certificateArn?: string; domain?: string }): boolean {
  return lb.certificateArn !== undefined || lb.domain !== undefined;
}

/**
 * Defaults that depend on other answers: the listener port (443 with HTTPS), the redirect (on with
 * HTTPS), private subnets and one NAT gateway for private instances in a new VPC, and the Spot
 * types (the instance type). Written into the answers, so a saved file or state replays them.
 */
function withDerivedDefaults(a: ParsedAnswers) {
  const https = httpsOn(a.loadBalancer);
  const n = a.network;
  const privateNew = n.instanceSubnets === 'private' && n.vpcId === undefined;
  const spot = a.instances.spot;
  // In the schema's key order (a state or saved file lists them so), the service answers in place:
  // `service` (its defaults when there are no `services`) or `services`, each load-balanced one with its port.
  const { stack, region, network: _n, loadBalancer: _lb, instances: _i, service, services, ...rest } = a;
  // One of the two, typed so that code cannot read `answers.service` as if every stack had it: servicesOf() is the way in.
  const serviceAnswers: { service?: ServiceAnswers; services?: Record<string, ServiceAnswers> } =
    services !== undefined ? { services: Object.fromEntries(Object.entries(services).map(([name, sv]) => [name, withPort(sv)])) } : { service: withPort(service ?? serviceSchema.parse({})) };
  return {
    stack,
    ...(region !== undefined ? { region } : {}),
    network: {
      ...n,
      ...(privateNew ? { privateSubnetCidrs: n.privateSubnetCidrs ?? defaultPrivateSubnetCidrs(n.vpcCidr, n.subnetCidrs), natGateways: n.natGateways ?? 1 } : {}),
    },
    loadBalancer: {
      ...a.loadBalancer,
      listenerPort: a.loadBalancer.listenerPort ?? (https ? 443 : 80),
      ...(https ? { redirectHttp: a.loadBalancer.redirectHttp ?? true } : {}),
    },
    instances: { ...a.instances, ...(spot ? { spot: { ...spot, instanceTypes: spot.instanceTypes ?? [a.instances.instanceType] } } : {}) },
    ...serviceAnswers,
    ...rest,
  };
}

/** A load-balanced service listens on 80 unless told otherwise; a worker has a port only when given. Keys in the schema's order. */
function withPort(sv: ServiceAnswers): ServiceAnswers {
  if (sv.loadBalanced === false || sv.containerPort !== undefined) return sv;
  const { image, ecrRepository, ...rest } = sv;
  return { image, ...(ecrRepository !== undefined ? { ecrRepository } : {}), containerPort: 80, ...rest };
}

export type AnswersInput = z.input<typeof answersSchema>;
export type Answers = z.output<typeof answersSchema>;
