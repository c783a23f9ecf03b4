import { z } from 'zod';

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
  .refine((s) => !s.endsWith('-') && !s.includes('--'), 'must not end with a hyphen or contain two hyphens in a row');

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
  })
  .strict();

export const loadBalancerSchema = z
  .object({
    listenerPort: port.default(80),
    ingressCidrs: z.array(ipv4Cidr).min(1, 'needs at least one CIDR allowed to reach the load balancer').default(['0.0.0.0/0']),
    healthCheckPath: z.string().regex(/^\/[\x21-\x7e]{0,1023}$/, 'must be a URL path starting with /').default('/'),
  })
  .strict();

export const instancesSchema = z
  .object({
    instanceType: z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'must be an EC2 instance type like t3.micro').default('t3.micro'),
    launch: z.enum(['template', 'configuration'], { message: 'must be "template" or "configuration"' }).default('template'),
    minSize: count(1000).default(1),
    maxSize: count(1000).default(4),
    desiredCapacity: count(1000).default(2),
    keyName: z.string().min(1).max(255).optional(),
    sshCidr: ipv4Cidr.optional(),
    amiId: z.string().regex(/^ami-[0-9a-f]{8,17}$/, 'must be an AMI id like ami-0abc1234').optional(),
  })
  .strict();

export const serviceSchema = z
  .object({
    image: z
      .string()
      .regex(/^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/i, 'must be an image reference like nginx:latest or 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.0')
      .default('nginx:latest'),
    ecrRepository: z.string().regex(/^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/, 'must be a repository name of lowercase letters, digits, . _ - and /').max(256).optional(),
    containerPort: port.default(80),
    cpu: z.number({ invalid_type_error: 'must be a number' }).int().min(128, 'must be at least 128 CPU units (1024 = one vCPU)').max(10240, 'must be at most 10240 CPU units').default(256),
    memory: z.number({ invalid_type_error: 'must be a number' }).int().min(128, 'must be at least 128 MiB').max(122880, 'must be at most 122880 MiB').default(512),
    desiredCount: count(1000).default(2),
    environment: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment variable names must be letters, digits and _'), z.string()).default({}),
  })
  .strict();

export const scalingSchema = z
  .object({
    service: z
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
      .strict()
      .default({}),
    instances: z
      .object({
        managed: z.boolean().default(true),
        targetCapacityPercent: percent.default(100),
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
  .refine((k) => !k.toLowerCase().startsWith('aws:'), 'tag keys must not start with "aws:" (reserved by AWS)')
  .refine((k) => k !== 'ecs-wizard:stack', '"ecs-wizard:stack" is set by ecs-wizard itself');

export const answersSchema = z
  .object({
    stack: stackNameSchema,
    region: z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, 'must be an AWS region like us-east-1').optional(),
    network: networkSchema.default({}),
    loadBalancer: loadBalancerSchema.default({}),
    instances: instancesSchema.default({}),
    service: serviceSchema.default({}),
    scaling: scalingSchema.default({}),
    tags: z.record(tagKey, z.string().max(256, 'tag values must be at most 256 characters')).default({}),
  })
  .strict()
  .superRefine((a, ctx) => {
    const issue = (path: (string | number)[], message: string): void => ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });
    const i = a.instances;
    if (i.minSize > i.desiredCapacity) issue(['instances', 'minSize'], `must be ≤ desiredCapacity (${i.desiredCapacity})`);
    if (i.desiredCapacity > i.maxSize) issue(['instances', 'maxSize'], `must be ≥ desiredCapacity (${i.desiredCapacity})`);
    const s = a.scaling.service;
    if (s.enabled) {
      if (s.minCount > a.service.desiredCount) issue(['scaling', 'service', 'minCount'], `must be ≤ service.desiredCount (${a.service.desiredCount})`);
      if (a.service.desiredCount > s.maxCount) issue(['scaling', 'service', 'maxCount'], `must be ≥ service.desiredCount (${a.service.desiredCount})`);
    }
    const n = a.network;
    if ((n.vpcId === undefined) !== (n.subnetIds === undefined)) {
      issue(['network', n.vpcId === undefined ? 'vpcId' : 'subnetIds'], 'vpcId and subnetIds go together: give both to reuse an existing VPC, or neither to create one');
    }
    if (n.subnetIds !== undefined && n.subnetIds.length < 2) issue(['network', 'subnetIds'], 'needs at least 2 subnets in different availability zones');
  });

export type AnswersInput = z.input<typeof answersSchema>;
export type Answers = z.output<typeof answersSchema>;
