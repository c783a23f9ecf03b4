import { isWaitStep, type Step } from '../engine/types.js';
import { retryAfterAmbiguousResponse } from './common.js';
import { serviceSchema, type Answers } from '../wizard/schema.js';
import type { ResourceRecord } from '../engine/types.js';
import type { StackEnv } from './env.js';
import { existingVpcStep, vpcStep } from './stack/vpc.js';
import { existingSubnetsStep, subnetsStep } from './stack/subnets.js';
import { internetGatewayStep } from './stack/internet-gateway.js';
import { routeTableStep } from './stack/route-table.js';
import { albSecurityGroupStep, instanceSecurityGroupStep } from './stack/security-groups.js';
import { instanceRoleStep, instanceProfileStep, executionRoleStep } from './stack/iam.js';
import { taskRoleStep } from './service/task-role.js';
import { makesTaskRole } from './service/exec.js';
import { listenerRuleStep } from './service/listener-rule.js';
import { defaultService, idFor, serviceOfId, servicesOf, type ServiceKind, type ServiceSpec } from './services.js';
import { ecrRepositoryStep } from './service/ecr.js';
import { targetGroupStep } from './service/target-group.js';
import { loadBalancerStep, loadBalancerActiveStep } from './stack/load-balancer.js';
import { listenerStep } from './stack/listener.js';
import { launchTemplateStep } from './stack/launch-template.js';
import { launchConfigurationStep } from './stack/launch-configuration.js';
import { autoScalingGroupStep, instancesInServiceStep } from './stack/auto-scaling-group.js';
import { asgScalingPolicyStep } from './stack/asg-scaling-policy.js';
import { clusterStep } from './stack/cluster.js';
import { capacityProviderStep } from './stack/capacity-provider.js';
import { taskDefinitionStep } from './service/task-definition.js';
import { logGroupStep } from './stack/log-group.js';
import { secretsPolicyStep } from './service/secrets-policy.js';
import { serviceStableStep, serviceStep } from './service/service.js';
import { serviceScalingStep } from './service/service-scaling.js';
import { revisionStep, rolloutSteps, serviceUpdateStep, type DeployEnv } from './service/deploy.js';
import { existingPrivateSubnetsStep, privateSubnetsStep } from './stack/private-subnets.js';
import { elasticIpsStep } from './stack/elastic-ip.js';
import { natGatewaysAvailableStep, natGatewaysStep } from './stack/nat-gateway.js';
import { privateRouteTablesStep } from './stack/private-route-table.js';
import { hostedZoneStep } from './stack/hosted-zone.js';
import { certificateIssuedStep, certificateStep, existingCertificateStep } from './stack/certificate.js';
import { certificateValidationStep } from './stack/certificate-validation.js';
import { httpsListenerStep } from './stack/https-listener.js';
import { redirectListenerStep } from './stack/redirect-listener.js';
import { aliasRecordStep } from './stack/alias-record.js';
import { httpsOn } from '../wizard/schema.js';
import { serviceConnectNamespaceStep } from './stack/service-connect-namespace.js';
import { usesServiceConnect } from './service/service-connect.js';

/**
 * The whole stack as one dependency graph. Create runs it forward, destroy in reverse (but for the
 * few dependencies a step's `teardown` lets go sooner); steps that the answers switch off are left
 * out, and dependencies on them dropped. Dependencies say what AWS
 * needs first — e.g. the listener before the service (a service on a target group with no load
 * balancer fails), the cluster before instances boot (their agent joins it by name).
 */
export function buildPlan(answers: Answers): Step<StackEnv>[] {
  return finishPlan(planSteps(answers));
}

function planSteps(answers: Answers): Step<StackEnv>[] {
  const reuseNetwork = answers.network.vpcId !== undefined;
  const managedInstances = answers.scaling.instances.managed;
  const https = httpsOn(answers.loadBalancer);
  const privateInstances = answers.network.instanceSubnets === 'private';
  const services = servicesOf(answers);
  // The listener's default action forwards to the default service's target group.
  const defaultTargetGroup = idFor(defaultService(answers), 'target-group');
  // Each service's own steps, one definition each instantiated per service (ids `kind` for the
  // primary, `kind:<name>` for the others), listed where a one-service stack always had them; they
  // depend on the stack's steps and their siblings only, so services are made side by side.
  const perService = services.flatMap((svc) => serviceSteps(answers, svc));
  const of = (...kinds: ServiceKind[]): Step<StackEnv>[] => kinds.flatMap((k) => perService.filter((s) => serviceOfId(s.id)?.kind === k));
  const steps: Step<StackEnv>[] = [
    reuseNetwork ? existingVpcStep : vpcStep,
    reuseNetwork ? existingSubnetsStep : subnetsStep,
    ...(reuseNetwork ? [] : [internetGatewayStep, routeTableStep]),
    // Private hosts: the user's private subnets, or the stack's own behind NAT gateways.
    ...(privateInstances ? (reuseNetwork ? [existingPrivateSubnetsStep] : [privateSubnetsStep, elasticIpsStep, natGatewaysStep, natGatewaysAvailableStep, privateRouteTablesStep]) : []),
    albSecurityGroupStep,
    instanceSecurityGroupStep,
    instanceRoleStep,
    instanceProfileStep,
    executionRoleStep,
    ...of('task-role', 'secrets-policy'),
    // One log group for the stack; each service writes under its own stream prefix.
    ...(services.some((s) => s.logs) ? [logGroupStep] : []),
    ...of('ecr-repository', 'target-group'),
    loadBalancerStep,
    loadBalancerActiveStep,
    // HTTPS: a given certificate, or one requested and validated through the domain's zone; the domain's alias.
    ...(https ? (answers.loadBalancer.certificateArn ? [existingCertificateStep] : [certificateStep, certificateValidationStep, certificateIssuedStep]) : []),
    ...(answers.loadBalancer.domain ? [hostedZoneStep] : []),
    ...(https ? [httpsListenerStep(defaultTargetGroup), ...(answers.loadBalancer.redirectHttp ? [redirectListenerStep] : [])] : [listenerStep(defaultTargetGroup)]),
    ...of('listener-rule'),
    ...(answers.loadBalancer.domain ? [aliasRecordStep] : []),
    answers.instances.launch === 'configuration' ? launchConfigurationStep : launchTemplateStep,
    autoScalingGroupStep,
    instancesInServiceStep,
    clusterStep,
    ...(managedInstances ? [capacityProviderStep] : [asgScalingPolicyStep]),
    // Service Connect: some service asks to be found, so the stack has a namespace every service joins.
    ...(usesServiceConnect(answers) ? [serviceConnectNamespaceStep] : []),
    ...of('task-definition', 'service', 'service-stable', 'service-scaling'),
  ];
  return steps;
}

/**
 * The steps of one service: its target group and listener rule (load-balanced; a rule when it has
 * a path or host, on the listener that forwards), its task role (taskRolePolicies), secrets policy
 * (always: with no secrets it makes sure the role carries no stale grant), ECR repository, task
 * definition, ECS service, the wait until it is stable, and its auto scaling.
 */
export function serviceSteps(answers: Answers, svc: ServiceSpec): Step<StackEnv>[] {
  const listener = httpsOn(answers.loadBalancer) ? 'https-listener' : 'listener';
  return [
    ...(makesTaskRole(svc) ? [taskRoleStep(svc)] : []),
    secretsPolicyStep(svc),
    ...(svc.ecrRepository ? [ecrRepositoryStep(svc)] : []),
    ...(svc.loadBalanced ? [targetGroupStep(svc)] : []),
    ...(svc.loadBalanced && !svc.defaultRoute ? [listenerRuleStep(svc, listener)] : []),
    taskDefinitionStep(svc),
    serviceStep(svc),
    serviceStableStep(svc),
    ...(svc.scaling.enabled ? [serviceScalingStep(svc)] : []),
  ];
}

/** Services a stack has (in its recorded answers, or by its records) that these answers no longer name, with the steps that delete them. */
export interface ServiceRemoval {
  services: ServiceSpec[];
  /** Their per-service steps as a plan of their own (for the engine's destroy). */
  steps: Step<StackEnv>[];
}

/**
 * The services to delete: those of the recorded answers these answers lack, and any whose live
 * records (`service:api`, or `service` for the one named after the stack) no service of these
 * answers owns — a removal cut short, say. Their steps are built from the answers they were made
 * with (a service known only by its records gets defaults; its deletes read what was recorded), as
 * a plan of their own: dependencies on the stack's steps are dropped, so those are treated as
 * present and never touched, and the engine's destroy deletes just these, in reverse.
 */
export function serviceRemoval(answers: Answers, recorded: Answers | undefined, resources: Readonly<Record<string, ResourceRecord>>): ServiceRemoval {
  const found = leftoverServices(answers, recorded, resources);
  return { services: found.map((f) => f.svc), steps: finishPlan(found.flatMap((f) => serviceSteps(f.answers, f.svc))) };
}

/**
 * The plan `destroy` runs: the answers' plan, and the steps of services only the records still
 * know (so that their shared dependencies wait for them).
 */
export function buildDestroyPlan(answers: Answers, resources: Readonly<Record<string, ResourceRecord>>): Step<StackEnv>[] {
  const extra = leftoverServices(answers, undefined, resources).flatMap((f) => serviceSteps(f.answers, f.svc));
  const steps = [...planSteps(answers), ...extra];
  // A namespace the records still hold (discovery turned off, its removal cut short) goes too, after the services.
  return finishPlan([...steps, ...leftoverStackSteps(steps, resources)]);
}

/** Optional steps of the stack that these answers no longer plan but whose records are live: each deleted like a removed service. */
const OPTIONAL_STACK_STEPS: readonly Step<StackEnv>[] = [serviceConnectNamespaceStep];

function leftoverStackSteps(planned: readonly Step<StackEnv>[], resources: Readonly<Record<string, ResourceRecord>>): Step<StackEnv>[] {
  const ids = new Set(planned.map((s) => s.id));
  return OPTIONAL_STACK_STEPS.filter((s) => !ids.has(s.id) && live(resources[s.id]));
}

const live = (rec: ResourceRecord | undefined): boolean => rec !== undefined && rec.status !== 'destroyed' && !rec.external;

/**
 * Optional resources of the stack these answers turned off (today: the Service Connect namespace,
 * once no service has `discovery: true`), as a plan of their own for the engine's destroy. Run by
 * create after its plan, so the services have left the namespace (their steps turned Service
 * Connect off) before it goes.
 */
export function stackRemoval(answers: Answers, resources: Readonly<Record<string, ResourceRecord>>): Step<StackEnv>[] {
  return finishPlan(leftoverStackSteps(planSteps(answers), resources));
}

function leftoverServices(answers: Answers, recorded: Answers | undefined, resources: Readonly<Record<string, ResourceRecord>>): { svc: ServiceSpec; answers: Answers }[] {
  // A service is known by its step ids' suffix: '' for the primary, its name for another.
  const key = (s: { name: string; primary: boolean }): string => (s.primary ? '' : s.name);
  const kept = new Set(servicesOf(answers).map(key));
  const out: { svc: ServiceSpec; answers: Answers }[] = [];
  for (const svc of recorded ? servicesOf(recorded) : []) {
    if (!kept.has(key(svc))) out.push({ svc, answers: recorded! });
  }
  const known = new Set([...kept, ...out.map((o) => key(o.svc))]);
  for (const [id, rec] of Object.entries(resources)) {
    const own = serviceOfId(id);
    if (!own || rec.status === 'destroyed' || known.has(own.service ?? '')) continue;
    known.add(own.service ?? '');
    out.push({ svc: leftoverSpec(answers, own.service, resources), answers });
  }
  return out;
}

/** A service known only by its records: every step it may have had (deletes read the records). */
function leftoverSpec(answers: Answers, name: string | undefined, resources: Readonly<Record<string, ResourceRecord>>): ServiceSpec {
  const primary = name === undefined;
  const id = { name: name ?? answers.stack, primary };
  const repository = resources[idFor(id, 'ecr-repository')]?.outputs.repositoryName as string | undefined;
  return {
    ...serviceSchema.parse({}),
    ...id,
    at: primary ? 'service' : `services.${id.name}`,
    containerPort: 80,
    ...(repository ? { ecrRepository: repository } : {}),
    taskRolePolicies: [],
    loadBalanced: true,
    defaultRoute: false,
    priority: 50000,
    healthCheckPath: answers.loadBalancer.healthCheckPath,
    scaling: { ...answers.scaling.service, enabled: true },
    exec: false,
    discovery: false,
  };
}

/** Drops dependencies on steps the plan leaves out, and wraps resource creates against lost answers. */
function finishPlan(steps: Step<StackEnv>[]): Step<StackEnv>[] {
  const present = new Set(steps.map((s) => s.id));
  const here = (ids: readonly string[] | undefined) => ids?.filter((d) => present.has(d));
  return steps.map((s) => {
    const dependsOn = s.dependsOn.filter((d) => present.has(d));
    const teardown = s.teardown && { mayGoOnceDeleting: here(s.teardown.mayGoOnceDeleting), mayGoFirst: here(s.teardown.mayGoFirst) };
    const step = dependsOn.length === s.dependsOn.length ? s : { ...s, dependsOn, teardown };
    return isWaitStep(step) || step.external ? step : retryAfterAmbiguousResponse(step);
  });
}

/**
 * A deploy or rollback as a plan for the same engine: the revision, the service update, then the
 * rollout's phases as wait steps. `startScaling`: the service waited at 0 tasks for its first image,
 * so service auto scaling's minimum goes back to the answers' (the stack's own step converges it).
 */
export function buildDeployPlan(opts: { startScaling: boolean; service: ServiceSpec }): Step<DeployEnv>[] {
  const svc = opts.service;
  const scaling = opts.startScaling ? (serviceScalingStep(svc) as Step<DeployEnv>) : undefined;
  // The steps carry a one-service stack's ids: the service's own (`idFor`) keep its records true.
  const own = (id: string): string => {
    const k = serviceOfId(id);
    return k ? idFor(svc, k.kind) : id;
  };
  const steps: Step<DeployEnv>[] = [revisionStep, serviceUpdateStep, ...(scaling ? [scaling] : []), ...rolloutSteps].map((s) =>
    s === scaling ? s : { ...s, id: own(s.id), dependsOn: s.dependsOn.map(own) },
  );
  const present = new Set(steps.map((s) => s.id));
  return steps.map((s) => {
    const dependsOn = s.dependsOn.filter((d) => present.has(d));
    const step = dependsOn.length === s.dependsOn.length ? s : { ...s, dependsOn };
    return isWaitStep(step) ? step : retryAfterAmbiguousResponse(step);
  });
}
