import { ACMClient, ListTagsForCertificateCommand, paginateListCertificates } from '@aws-sdk/client-acm';
import { DescribeNatGatewaysCommand, DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeRepositoriesCommand, ECRClient, ListTagsForResourceCommand } from '@aws-sdk/client-ecr';
import type { AwsClients } from '../aws/clients.js';
import { SERVICE_TAG, STACK_TAG } from '../aws/tags.js';
import { isNotFound } from '../aws/errors.js';
import { ECSClient, paginateListServices } from '@aws-sdk/client-ecs';
import type { ResourceStep, Step, StepContext } from '../engine/types.js';
import { isWaitStep } from '../engine/types.js';
import type { StackEnv } from '../steps/env.js';
import { buildPlan } from '../steps/index.js';
import { serviceOfId } from '../steps/services.js';
import { serviceConnectNamespaceStep } from '../steps/stack/service-connect-namespace.js';
import { stackNames } from '../steps/names.js';
import { isPrivateSubnetName } from '../steps/stack/subnets.js';
import { isStacks } from '../steps/stack/nat-gateway.js';
import { validateAnswers } from '../wizard/answers-file.js';
import { SERVICE_NAME, type Answers, type AnswersInput, type ServiceAnswers } from '../wizard/schema.js';

type ServiceAnswersInput = NonNullable<AnswersInput['service']>;

/**
 * A plan that covers every variant the answers could have chosen — launch template AND launch
 * configuration, capacity provider AND ASG scaling policy, ECR, service scaling, a task role — so that discovery
 * finds the stack's resources whichever variant created them.
 */
export function discoverPlan(answers: Answers): Step<StackEnv>[] {
  // Logs on: a log group an earlier run created is found whatever the answers say now; likewise each service's own task role.
  const found = (sv: ServiceAnswers): ServiceAnswers => ({ ...sv, logs: true, taskRoleArn: undefined, taskRolePolicies: sv.taskRolePolicies ?? [] });
  const services = answers.services !== undefined ? { services: Object.fromEntries(Object.entries(answers.services).map(([n, sv]) => [n, found(sv)])) } : { service: found(answers.service!) };
  const variant = (launch: 'template' | 'configuration', managed: boolean): Answers => ({
    ...answers,
    ...services,
    instances: { ...answers.instances, launch },
    scaling: { ...answers.scaling, service: { ...answers.scaling.service, enabled: true }, instances: { ...answers.scaling.instances, managed } },
  });
  const plans = [buildPlan(productionVariant(variant('template', true))), buildPlan(variant('configuration', false))];
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
  // Service Connect's namespace, found by its name and the stack tag whatever the answers say (discovery is not seen from outside).
  if (!byId.has(serviceConnectNamespaceStep.id)) steps.push(serviceConnectNamespaceStep);
  const present = new Set(steps.map((s) => s.id));
  // A dependency dropped in one variant may exist in the other: keep every dependency that is in the merged plan.
  return steps.map((s) => {
    const deps = new Set<string>();
    for (const plan of plans) for (const p of plan) if (p.id === s.id) p.dependsOn.forEach((d) => present.has(d) && deps.add(d));
    // The ECS services are its clients: they go first.
    if (serviceOfId(s.id)?.kind === 'service') deps.add(serviceConnectNamespaceStep.id);
    return { ...s, dependsOn: [...deps] };
  });
}

/**
 * The first variant with what issue 16 added, where the answers allow: private instances behind
 * NAT gateways (a new VPC: private subnets, Elastic IPs, NAT gateways, their route tables), Spot,
 * and — with a domain or a certificate — HTTPS (certificate, validation records, HTTPS and
 * redirect listeners, the alias). Answers that cannot take it (a reused VPC without private
 * subnets) keep what they have.
 */
function productionVariant(a: Answers): Answers {
  const toPrivate = a.network.vpcId === undefined && a.network.instanceSubnets !== 'private';
  const input = {
    ...a,
    network: toPrivate ? { ...a.network, instanceSubnets: 'private' as const } : a.network,
    instances: { ...a.instances, spot: a.instances.spot ?? {} },
  };
  try {
    return validateAnswers(input);
  } catch {
    return a;
  }
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
    const all = ((await ec2.send(new DescribeSubnetsCommand({ Filters: [...byTag, { Name: 'vpc-id', Values: [vpc.VpcId!] }] }))).Subnets ?? [])
      .map((s) => ({ cidr: s.CidrBlock!, az: s.AvailabilityZone!, name: s.Tags?.find((t) => t.Key === 'Name')?.Value ?? '' }))
      .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
    const names = stackNames(stack);
    const subnets = all.filter((s) => !isPrivateSubnetName(names, s.name));
    const privates = all.filter((s) => isPrivateSubnetName(names, s.name));
    const nats = ((await ec2.send(new DescribeNatGatewaysCommand({ Filter: [...byTag, { Name: 'state', Values: ['pending', 'available'] }] }))).NatGateways ?? []).filter((g) => isStacks(g, stack));
    input.network = {
      vpcCidr: vpc.CidrBlock,
      ...(subnets.length >= 2 ? { subnetCidrs: subnets.map((s) => s.cidr), availabilityZones: subnets.map((s) => s.az) } : {}),
      // Private subnets (and the NAT gateways they route to) say the hosts were private.
      ...(privates.length === subnets.length && privates.length >= 2
        ? { instanceSubnets: 'private' as const, privateSubnetCidrs: privates.map((s) => s.cidr), natGateways: nats.length === privates.length ? nats.length : 1 }
        : {}),
    };
  }
  // A certificate the stack requested names the domain (its alias and validation records live in that name's zone).
  const domain = await requestedCertificateDomain(aws, stack);
  if (domain) input.loadBalancer = { domain };
  // The services besides the one named after the stack: ECS services `<stack>--<name>` in its cluster.
  const others = await otherServiceNames(aws, stack);
  const services: Record<string, ServiceAnswersInput> = { [stack]: {} };
  // A route of its own for each (any will do: its rule is found by the stack and service tags), so its target group and rule are planned.
  for (const name of others) services[name] = { path: `/${name}/*` };
  const ecr = aws.get(ECRClient);
  let nextToken: string | undefined;
  do {
    const r = await ecr.send(new DescribeRepositoriesCommand({ nextToken }));
    for (const repo of r.repositories ?? []) {
      const tags = await ecr.send(new ListTagsForResourceCommand({ resourceArn: repo.repositoryArn! }));
      if (!tags.tags?.some((t) => t.Key === STACK_TAG && t.Value === stack)) continue;
      const owner = tags.tags.find((t) => t.Key === SERVICE_TAG)?.Value;
      const name = owner !== undefined && owner in services ? owner : stack;
      services[name] = { ...services[name], ecrRepository: repo.repositoryName! };
    }
    nextToken = r.nextToken;
  } while (nextToken);
  if (others.length) input.services = services;
  else if (services[stack]!.ecrRepository) input.service = services[stack];
  try {
    return validateAnswers(input);
  } catch {
    // Something odd (e.g. a hand-made subnet): defaults still find most things; the sweep gets the rest.
    return validateAnswers({ stack });
  }
}

/** The names of the stack's services other than the one named after it, from its cluster's ECS services (`<stack>--<name>`). */
async function otherServiceNames(aws: AwsClients, stack: string): Promise<string[]> {
  const ecs = aws.get(ECSClient);
  const names: string[] = [];
  try {
    for await (const page of paginateListServices({ client: ecs }, { cluster: stackNames(stack).cluster })) {
      for (const arn of page.serviceArns ?? []) {
        const service = arn.split('/').pop() ?? '';
        if (service.startsWith(`${stack}--`) && SERVICE_NAME.test(service.slice(stack.length + 2))) names.push(service.slice(stack.length + 2));
      }
    }
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  return names.sort();
}

/** The domain of a certificate tagged with the stack (ecs-wizard requested it for loadBalancer.domain), if any. */
async function requestedCertificateDomain(aws: AwsClients, stack: string): Promise<string | undefined> {
  const acm = aws.get(ACMClient);
  for await (const page of paginateListCertificates({ client: acm }, {})) {
    for (const c of page.CertificateSummaryList ?? []) {
      const tags = await acm.send(new ListTagsForCertificateCommand({ CertificateArn: c.CertificateArn }));
      if (tags.Tags?.some((t) => t.Key === STACK_TAG && t.Value === stack)) return c.DomainName;
    }
  }
  return undefined;
}
