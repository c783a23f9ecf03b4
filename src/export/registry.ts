import type { TemplatePart } from './env.js';
import * as compute from './parts/compute.js';
import * as edge from './parts/edge.js';
import * as iam from './parts/iam.js';
import * as network from './parts/network.js';
import * as service from './parts/service.js';

/**
 * Each plan step's part of the template, by step KIND (its id before any `:`): export walks
 * `buildPlan(answers)`, the very plan `create` runs, and asks here for each step. A kind the plan
 * can produce without an entry is an error (test/unit/export: a new step cannot be forgotten);
 * wait steps and the user's own resources (external steps) contribute nothing, explicitly.
 */
export const TEMPLATE_PARTS: Readonly<Record<string, TemplatePart>> = {
  vpc: network.vpc,
  subnets: network.subnets,
  'internet-gateway': network.internetGateway,
  'route-table': network.routeTable,
  'private-subnets': network.privateSubnets,
  'elastic-ips': network.elasticIps,
  'nat-gateways': network.natGateways,
  'nat-gateways-available': network.wait,
  'private-route-tables': network.privateRouteTables,
  'alb-security-group': network.albSecurityGroup,
  'instance-security-group': network.instanceSecurityGroup,
  'instance-role': iam.instanceRole,
  'instance-profile': iam.instanceProfile,
  'execution-role': iam.executionRole,
  'task-role': iam.taskRole,
  'secrets-policy': iam.secretsPolicy,
  'log-group': service.logGroup,
  'ecr-repository': service.ecrRepository,
  'target-group': edge.targetGroup,
  'listener-rule': edge.listenerRule,
  'load-balancer': edge.loadBalancer,
  'load-balancer-active': network.wait,
  certificate: edge.certificate,
  'certificate-validation': edge.certificateValidation,
  'certificate-issued': network.wait,
  'hosted-zone': network.external,
  'https-listener': edge.httpsListener,
  'redirect-listener': edge.redirectListener,
  listener: edge.listener,
  'alias-record': edge.aliasRecord,
  'launch-template': compute.launchTemplate,
  'auto-scaling-group': compute.autoScalingGroup,
  'instances-in-service': network.wait,
  cluster: compute.cluster,
  'capacity-provider': compute.capacityProvider,
  'asg-scaling-policy': compute.asgScalingPolicy,
  'service-connect-namespace': service.serviceConnectNamespace,
  'task-definition': service.taskDefinition,
  service: service.service,
  'service-stable': network.wait,
  'service-scaling': service.serviceScaling,
};

/** A step id's kind: `target-group:api` → `target-group`. */
export const kindOf = (stepId: string): string => stepId.split(':')[0]!;
