import { isWaitStep, type Step } from '../engine/types.js';
import { retryAfterAmbiguousResponse } from './common.js';
import type { Answers } from '../wizard/schema.js';
import type { StackEnv } from './env.js';
import { existingVpcStep, vpcStep } from './stack/vpc.js';
import { existingSubnetsStep, subnetsStep } from './stack/subnets.js';
import { internetGatewayStep } from './stack/internet-gateway.js';
import { routeTableStep } from './stack/route-table.js';
import { albSecurityGroupStep, instanceSecurityGroupStep } from './stack/security-groups.js';
import { instanceRoleStep, instanceProfileStep, executionRoleStep, taskRoleStep } from './stack/iam.js';
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

/**
 * The whole stack as one dependency graph. Create runs it forward, destroy in reverse (but for the
 * few dependencies a step's `teardown` lets go sooner); steps that the answers switch off are left
 * out, and dependencies on them dropped. Dependencies say what AWS
 * needs first — e.g. the listener before the service (a service on a target group with no load
 * balancer fails), the cluster before instances boot (their agent joins it by name).
 */
export function buildPlan(answers: Answers): Step<StackEnv>[] {
  const reuseNetwork = answers.network.vpcId !== undefined;
  const managedInstances = answers.scaling.instances.managed;
  const https = httpsOn(answers.loadBalancer);
  const privateInstances = answers.network.instanceSubnets === 'private';
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
    // The application's own role, when the stack makes it (a role the user brings is only named in the task definition).
    ...(answers.service.taskRolePolicies !== undefined ? [taskRoleStep] : []),
    // Always planned: with no secrets it makes sure the role carries no stale grant.
    secretsPolicyStep,
    ...(answers.service.logs ? [logGroupStep] : []),
    ...(answers.service.ecrRepository ? [ecrRepositoryStep] : []),
    targetGroupStep,
    loadBalancerStep,
    loadBalancerActiveStep,
    // HTTPS: a given certificate, or one requested and validated through the domain's zone; the domain's alias.
    ...(https ? (answers.loadBalancer.certificateArn ? [existingCertificateStep] : [certificateStep, certificateValidationStep, certificateIssuedStep]) : []),
    ...(answers.loadBalancer.domain ? [hostedZoneStep] : []),
    ...(https ? [httpsListenerStep, ...(answers.loadBalancer.redirectHttp ? [redirectListenerStep] : [])] : [listenerStep]),
    ...(answers.loadBalancer.domain ? [aliasRecordStep] : []),
    answers.instances.launch === 'configuration' ? launchConfigurationStep : launchTemplateStep,
    autoScalingGroupStep,
    instancesInServiceStep,
    clusterStep,
    ...(managedInstances ? [capacityProviderStep] : [asgScalingPolicyStep]),
    taskDefinitionStep,
    serviceStep,
    serviceStableStep,
    ...(answers.scaling.service.enabled ? [serviceScalingStep] : []),
  ];
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
export function buildDeployPlan(opts: { startScaling: boolean }): Step<DeployEnv>[] {
  const steps: Step<DeployEnv>[] = [revisionStep, serviceUpdateStep, ...(opts.startScaling ? [serviceScalingStep] : []), ...rolloutSteps];
  const present = new Set(steps.map((s) => s.id));
  return steps.map((s) => {
    const dependsOn = s.dependsOn.filter((d) => present.has(d));
    const step = dependsOn.length === s.dependsOn.length ? s : { ...s, dependsOn };
    return isWaitStep(step) ? step : retryAfterAmbiguousResponse(step);
  });
}
