import { DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeRepositoriesCommand, ECRClient, ListTagsForResourceCommand } from '@aws-sdk/client-ecr';
import type { AwsClients } from '../aws/clients.js';
import { STACK_TAG } from '../aws/tags.js';
import type { ResourceStep, Step, StepContext } from '../engine/types.js';
import { isWaitStep } from '../engine/types.js';
import type { StackEnv } from '../steps/env.js';
import { buildPlan } from '../steps/index.js';
import { validateAnswers } from '../wizard/answers-file.js';
import type { Answers, AnswersInput } from '../wizard/schema.js';

/**
 * A plan that covers every variant the answers could have chosen — launch template AND launch
 * configuration, capacity provider AND ASG scaling policy, ECR, service scaling — so that discovery
 * finds the stack's resources whichever variant created them.
 */
export function discoverPlan(answers: Answers): Step<StackEnv>[] {
  const variant = (launch: 'template' | 'configuration', managed: boolean): Answers => ({
    ...answers,
    // Logs on: a log group an earlier run created is found whatever the answers say now.
    service: { ...answers.service, logs: true },
    instances: { ...answers.instances, launch },
    scaling: { ...answers.scaling, service: { ...answers.scaling.service, enabled: true }, instances: { ...answers.scaling.instances, managed } },
  });
  const plans = [buildPlan(variant('template', true)), buildPlan(variant('configuration', false))];
  const byId = new Map<string, Step<StackEnv>[]>();
  for (const plan of plans) {
    for (const step of plan) {
      const seen = byId.get(step.id) ?? [];
      // The same step appears in both variants (maybe with fewer dependencies): alternatives differ by title.
      if (!seen.some((s) => s.title === step.title)) seen.push(step);
      byId.set(step.id, seen);
    }
  }
  const steps = [...byId.values()].map((alternatives) => (alternatives.length === 1 ? alternatives[0]! : eitherStep(alternatives)));
  const present = new Set(steps.map((s) => s.id));
  // A dependency dropped in one variant may exist in the other: keep every dependency that is in the merged plan.
  return steps.map((s) => {
    const deps = new Set<string>();
    for (const plan of plans) for (const p of plan) if (p.id === s.id) p.dependsOn.forEach((d) => present.has(d) && deps.add(d));
    return { ...s, dependsOn: [...deps] };
  });
}

/**
 * Two steps sharing one id (the launch template and the launch configuration are both
 * 'launch-template'): find tries each; destroy goes to the one that recognises the recorded outputs.
 */
export function eitherStep(alternatives: Step<StackEnv>[]): ResourceStep<StackEnv> {
  const resources = alternatives.filter((s): s is ResourceStep<StackEnv> => !isWaitStep(s));
  const first = resources[0]!;
  const owner = async (ctx: StepContext<StackEnv>, outputs: Record<string, unknown>): Promise<ResourceStep<StackEnv> | undefined> => {
    for (const step of resources) {
      const found = await step.find({ ...ctx, recorded: outputs }).catch(() => undefined);
      if (found !== undefined) return step;
    }
    return undefined;
  };
  return {
    id: first.id,
    title: resources.map((s) => s.title).join(' or '),
    dependsOn: [...new Set(resources.flatMap((s) => s.dependsOn))],
    async find(ctx) {
      for (const step of resources) {
        const found = await step.find(ctx);
        if (found !== undefined) return found;
      }
      return undefined;
    },
    async create() {
      throw new Error(`${first.id}: discovery never creates`);
    },
    async destroy(ctx, outputs) {
      const step = await owner(ctx, outputs);
      await step?.destroy?.(ctx, outputs);
    },
  };
}

/**
 * Answers for a stack whose state file is gone: the stack name and defaults, corrected with what
 * AWS still shows (the VPC's and subnets' CIDRs, an ECR repository tagged with the stack), so that
 * the steps' finds recognise their resources instead of reporting drift.
 */
export async function discoverAnswers(aws: AwsClients, stack: string): Promise<Answers> {
  const ec2 = aws.get(EC2Client);
  const byTag = [{ Name: `tag:${STACK_TAG}`, Values: [stack] }];
  const input: AnswersInput = { stack };
  const vpc = (await ec2.send(new DescribeVpcsCommand({ Filters: byTag }))).Vpcs?.[0];
  if (vpc?.CidrBlock) {
    const subnets = ((await ec2.send(new DescribeSubnetsCommand({ Filters: [...byTag, { Name: 'vpc-id', Values: [vpc.VpcId!] }] }))).Subnets ?? [])
      .map((s) => ({ cidr: s.CidrBlock!, az: s.AvailabilityZone!, name: s.Tags?.find((t) => t.Key === 'Name')?.Value ?? '' }))
      .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
    input.network = { vpcCidr: vpc.CidrBlock, ...(subnets.length >= 2 ? { subnetCidrs: subnets.map((s) => s.cidr), availabilityZones: subnets.map((s) => s.az) } : {}) };
  }
  const ecr = aws.get(ECRClient);
  let nextToken: string | undefined;
  do {
    const r = await ecr.send(new DescribeRepositoriesCommand({ nextToken }));
    for (const repo of r.repositories ?? []) {
      const tags = await ecr.send(new ListTagsForResourceCommand({ resourceArn: repo.repositoryArn! }));
      if (tags.tags?.some((t) => t.Key === STACK_TAG && t.Value === stack)) input.service = { ecrRepository: repo.repositoryName! };
    }
    nextToken = r.nextToken;
  } while (nextToken);
  try {
    return validateAnswers(input);
  } catch {
    // Something odd (e.g. a hand-made subnet): defaults still find most things; the sweep gets the rest.
    return validateAnswers({ stack });
  }
}
