import { WizardError } from '../errors.js';
import { buildPlan } from '../steps/index.js';
import { ecsAmiParameter } from '../steps/stack/launch-common.js';
import { VERSION } from '../version.js';
import { httpsOn, type Answers } from '../wizard/schema.js';
import { equals, getAtt, join, ref, type CfnOutput, type CfnParameter, type Fragment, type Template, type Value } from './cfn.js';
import { COND, ID, PARAM, privateInstances, reuseNetwork, type ExportEnv, type TemplatePart } from './env.js';
import { architectureOfName } from './parts/compute.js';
import { isSecretEnv, repositoryTag, usesRepository } from './parts/service.js';
import { kindOf, TEMPLATE_PARTS } from './registry.js';
import { exportServices, serviceOfStep, type ExportService } from './services.js';

export interface ExportOptions {
  /** From a state: the hosted zone its hosted-zone step found (a default for the HostedZoneId parameter). */
  hostedZoneId?: string;
  /** The parts by step kind (tests hand in a registry missing one). */
  parts?: Readonly<Record<string, TemplatePart>>;
}

/**
 * The stack as one CloudFormation template: every step of `buildPlan(answers)` — the plan `create`
 * runs — contributes its resources (TEMPLATE_PARTS); the images, desired counts and the domain are
 * parameters with the answers' values as defaults. Deterministic: the same answers give the same
 * template. No AWS call.
 */
export function buildTemplate(answers: Answers, opts: ExportOptions = {}): Template {
  const plan = buildPlan(answers);
  const services = exportServices(answers);
  const env: ExportEnv = { answers, services, planned: new Set(plan.map((s) => s.id)), recorded: { hostedZoneId: opts.hostedZoneId } };
  const resources: Fragment = {};
  for (const step of plan) {
    const kind = kindOf(step.id);
    const part = (opts.parts ?? TEMPLATE_PARTS)[kind];
    if (!part) throw new WizardError('NOT_IMPLEMENTED', `The plan's step ${step.id} has no part in the CloudFormation template (src/export/registry.ts).`);
    const svc = serviceOfStep(step.id, services);
    if (part.perService && !svc) throw new WizardError('NOT_IMPLEMENTED', `The plan's step ${step.id} names no service of the answers.`);
    for (const [id, resource] of Object.entries(part.resources(env, svc!))) {
      if (resources[id]) throw new WizardError('NOT_IMPLEMENTED', `Two steps of the plan make the template's resource ${id} (the second: ${step.id}).`);
      resources[id] = resource;
    }
  }
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `ecs-wizard ${VERSION}: stack ${answers.stack} — a load-balanced, auto-scaled ECS cluster on EC2 (exported from its answers)`,
    Parameters: parameters(env),
    Conditions: conditions(env),
    Resources: resources,
    Outputs: outputs(env),
  };
}

function parameters(env: ExportEnv): Record<string, CfnParameter> {
  const a = env.answers;
  const out: Record<string, CfnParameter> = {
    [PARAM.boundary]: {
      Type: 'String',
      Default: '',
      Description: "Permissions boundary of every role: a managed policy's ARN; empty = the account's ecs-wizard-boundary (`ecs-wizard iam bootstrap` makes it); none = no boundary",
      AllowedPattern: '^(|none|arn:aws[a-z-]*:iam::\\d{12}:policy/.+)$',
      ConstraintDescription: 'a managed policy ARN, empty, or none',
    },
  };
  if (!reuseNetwork(a) && a.network.availabilityZones) {
    out[PARAM.availabilityZones] = { Type: 'List<AWS::EC2::AvailabilityZone::Name>', Default: a.network.availabilityZones.join(','), Description: "The subnets' zones, in order (network.availabilityZones)" };
  }
  if (reuseNetwork(a)) {
    out[PARAM.vpcId] = { Type: 'AWS::EC2::VPC::Id', Default: a.network.vpcId!, Description: 'The existing VPC (network.vpcId)' };
    out[PARAM.subnetIds] = { Type: 'List<AWS::EC2::Subnet::Id>', Default: a.network.subnetIds!.join(','), Description: "The load balancer's public subnets in that VPC (network.subnetIds)" };
    if (privateInstances(a)) {
      out[PARAM.privateSubnetIds] = { Type: 'List<AWS::EC2::Subnet::Id>', Default: (a.network.privateSubnetIds ?? []).join(','), Description: "The hosts' private subnets, each routing to a NAT gateway (network.privateSubnetIds)" };
    }
  }
  out[a.instances.amiId ? PARAM.amiId : PARAM.ecsAmi] = a.instances.amiId
    ? { Type: 'AWS::EC2::Image::Id', Default: a.instances.amiId, Description: "The hosts' AMI (instances.amiId)" }
    : {
        Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>',
        Default: ecsAmiParameter(architectureOfName(a.instances.instanceType)),
        Description: `AWS's SSM parameter naming the current ECS-optimized Amazon Linux 2023 AMI for ${a.instances.instanceType}`,
      };
  const lb = a.loadBalancer;
  if (lb.certificateArn) out[PARAM.certificateArn] = { Type: 'String', Default: lb.certificateArn, Description: "The HTTPS listener's ACM certificate (loadBalancer.certificateArn)" };
  if (lb.domain) {
    out[PARAM.domain] = { Type: 'String', Default: lb.domain, Description: 'The domain the stack serves (loadBalancer.domain)' };
    out[PARAM.hostedZoneId] = {
      Type: 'AWS::Route53::HostedZone::Id',
      ...(env.recorded.hostedZoneId ? { Default: env.recorded.hostedZoneId } : {}),
      Description: 'The public Route 53 hosted zone that holds the domain',
    };
    out[PARAM.aliasRecord] = {
      Type: 'String',
      Default: 'true',
      AllowedValues: ['true', 'false'],
      Description: "Point the domain at this stack's load balancer (false while another stack still serves it: see the README's 'Leaving ecs-wizard')",
    };
  }
  for (const svc of env.services) Object.assign(out, serviceParameters(env, svc));
  return out;
}

function serviceParameters(env: ExportEnv, svc: ExportService): Record<string, CfnParameter> {
  const out: Record<string, CfnParameter> = {};
  const label = svc.primary ? 'the service' : `service ${svc.name}`;
  if (usesRepository(env, svc)) {
    out[PARAM.imageTag(svc)] = { Type: 'String', Default: repositoryTag(svc), Description: `The image tag ${label} runs from its ECR repository` };
  } else {
    out[PARAM.image(svc)] = { Type: 'String', Default: svc.image, Description: `The image ${label} runs` };
  }
  out[PARAM.desiredCount(svc)] = { Type: 'Number', Default: svc.desiredCount, MinValue: 0, Description: `How many tasks ${label} runs` };
  for (const [name, value] of Object.entries(svc.environment).sort(([x], [y]) => x.localeCompare(y))) {
    if (!isSecretEnv(name, value)) continue;
    out[PARAM.secretEnv(svc, name)] = { Type: 'String', NoEcho: true, Description: `${name} of ${label}: its value looks secret, so it is not in the template (better: an SSM parameter under secrets)` };
  }
  return out;
}

function conditions(env: ExportEnv): Record<string, Value> {
  return {
    [COND.boundaryNone]: equals(ref(PARAM.boundary), 'none'),
    [COND.boundaryDefault]: equals(ref(PARAM.boundary), ''),
    ...(env.answers.loadBalancer.domain ? { [COND.aliasRecord]: equals(ref(PARAM.aliasRecord), 'true') } : {}),
  };
}

function outputs(env: ExportEnv): Record<string, CfnOutput> {
  const a = env.answers;
  const https = httpsOn(a.loadBalancer);
  const port = a.loadBalancer.listenerPort;
  const defaultPort = https ? 443 : 80;
  const host: Value = a.loadBalancer.domain ? ref(PARAM.domain) : getAtt(ID.loadBalancer, 'DNSName');
  const out: Record<string, CfnOutput> = {
    Url: { Description: 'Where the stack serves', Value: join('', [https ? 'https://' : 'http://', host, port === defaultPort ? '' : `:${port}`]) },
    LoadBalancerDnsName: { Description: "The load balancer's DNS name (test it before moving the domain)", Value: getAtt(ID.loadBalancer, 'DNSName') },
    ClusterName: { Description: 'The ECS cluster', Value: ref(ID.cluster) },
  };
  for (const svc of env.services) {
    out[ID.svc(svc, 'ServiceName')] = { Description: `The ECS service${svc.primary ? '' : ` ${svc.name}`}`, Value: getAtt(ID.svc(svc, 'Service'), 'Name') };
    if (usesRepository(env, svc)) out[ID.svc(svc, 'RepositoryUri')] = { Description: `Push ${svc.primary ? "the service's" : `${svc.name}'s`} image here`, Value: getAtt(ID.svc(svc, 'Repository'), 'RepositoryUri') };
  }
  return out;
}
