import { tagOf } from '../../steps/service/ecr.js';
import { DEFAULT_TARGET_CPU_PERCENT } from '../../steps/service/service-scaling.js';
import { REDACTED, SECRET_NAME } from '../../wizard/redact.js';
import { serviceNames } from '../../steps/services.js';
import { getAtt, join, ref, sub, type Fragment, type Value } from '../cfn.js';
import { ID, PARAM, stepIdFor, tags, type ExportEnv, type TemplatePart } from '../env.js';
import type { ExportService } from '../services.js';
import { defaultService, forwardingListener } from './edge.js';
import { makesTaskRole, taskRoleResource } from './iam.js';


/** Environment values that look secret (or a state holds redacted) never go into the template: each is a NoEcho parameter. */
export const isSecretEnv = (name: string, value: string): boolean => value === REDACTED || SECRET_NAME.test(name);

/** Whether the service runs from a repository the stack makes (its ecr-repository step is in the plan). */
export const usesRepository = (env: ExportEnv, svc: ExportService): boolean => svc.ecrRepository !== undefined && env.planned.has(stepIdFor(svc, 'ecr-repository'));

/** The tag of the stack's repository the service runs: the one a deploy recorded (`<uri>:<tag>`), else latest. */
export function repositoryTag(svc: ExportService): string {
  const repo = svc.ecrRepository ?? '';
  const path = svc.image.split('@')[0]!;
  return path.includes('.dkr.ecr.') && path.replace(/:[^:/]*$/, '').endsWith(`/${repo}`) ? (tagOf(path) ?? 'latest') : 'latest';
}

export const logGroup: TemplatePart = {
  resources: ({ answers: a, services }): Fragment => ({
    [ID.logGroup]: {
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: Math.max(...services.filter((s) => s.logs).map((s) => s.logRetentionDays)), Tags: tags(a, 'logs') },
    },
  }),
};

/** A private repository for the service's image: scanned on push, encrypted; CloudFormation names it (the wizard's name stays the old stack's). */
export const ecrRepository: TemplatePart = {
  perService: true,
  resources: ({ answers: a }, svc): Fragment => ({
    [ID.svc(svc, 'Repository')]: {
      Type: 'AWS::ECR::Repository',
      Properties: { ImageScanningConfiguration: { ScanOnPush: true }, EncryptionConfiguration: { EncryptionType: 'AES256' }, Tags: tags(a, svc.primary ? 'repository' : `${svc.name}-repository`) },
    },
  }),
};

function container(env: ExportEnv, svc: ExportService): Value {
  const image = usesRepository(env, svc) ? sub(`\${${ID.svc(svc, 'Repository')}.RepositoryUri}:\${${PARAM.imageTag(svc)}}`) : ref(PARAM.image(svc));
  const port = svc.containerPort;
  const environment = Object.entries(svc.environment)
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([name, value]) => ({ Name: name, Value: isSecretEnv(name, value) ? ref(PARAM.secretEnv(svc, name)) : value }));
  const secrets = Object.entries(svc.secrets)
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([name, valueFrom]) => ({ Name: name, ValueFrom: valueFrom }));
  return {
    Name: serviceNames(env.answers.stack, svc).container,
    Image: image,
    Cpu: svc.cpu,
    Memory: svc.memory,
    Essential: true,
    ...(svc.command?.length ? { Command: svc.command } : {}),
    // hostPort 0: each task gets a free host port, so several tasks share a host behind the target group.
    ...(port !== undefined ? { PortMappings: [{ ContainerPort: port, HostPort: 0, Protocol: 'tcp', ...(svc.discovery ? { Name: svc.name, AppProtocol: 'http' } : {}) }] } : {}),
    ...(environment.length ? { Environment: environment } : {}),
    ...(secrets.length ? { Secrets: secrets } : {}),
    ...(svc.logs && env.planned.has('log-group')
      ? { LogConfiguration: { LogDriver: 'awslogs', Options: { 'awslogs-group': ref(ID.logGroup), 'awslogs-region': ref('AWS::Region'), 'awslogs-stream-prefix': serviceNames(env.answers.stack, svc).logStreamPrefix } } }
      : {}),
  };
}

/**
 * ECS Exec needs a task role with the Session Manager channel: a service asking for it without
 * a role of its own or the stack's (taskRolePolicies) gets one with just that.
 */
const needsExecRole = (env: ExportEnv, svc: ExportService): boolean => svc.exec && svc.taskRoleArn === undefined && !makesTaskRole(env, svc);

/** Bridge mode on EC2, the execution role; the task role the user brings, or the one the stack makes. */
export const taskDefinition: TemplatePart = {
  perService: true,
  resources: (env, svc): Fragment => ({
    ...(needsExecRole(env, svc) ? taskRoleResource(env, svc) : {}),
    [ID.svc(svc, 'TaskDefinition')]: {
      Type: 'AWS::ECS::TaskDefinition',
      Properties: {
        NetworkMode: 'bridge',
        RequiresCompatibilities: ['EC2'],
        ExecutionRoleArn: getAtt(ID.executionRole, 'Arn'),
        ...(svc.taskRoleArn
          ? { TaskRoleArn: svc.taskRoleArn }
          : makesTaskRole(env, svc) || needsExecRole(env, svc)
            ? { TaskRoleArn: getAtt(ID.svc(svc, 'TaskRole'), 'Arn') }
            : {}),
        ContainerDefinitions: [container(env, svc)],
        Tags: tags(env.answers, svc.primary ? 'task' : `${svc.name}-task`),
      },
    },
  }),
};

/** Service Connect is on when the plan makes the namespace (a service asks to be found): every service of the stack then joins it as a client. */
export const serviceConnect = (env: ExportEnv): boolean => env.planned.has('service-connect-namespace');

/**
 * The ECS service: on the capacity provider when there is one (else the EC2 launch type), behind
 * its target group, with the circuit breaker rolling a failing deployment back. It is created once
 * a listener sends its target group traffic (ECS refuses a group no load balancer uses).
 */
export const service: TemplatePart = {
  perService: true,
  resources(env, svc): Fragment {
    const capacityProvider = env.planned.has('capacity-provider');
    const secretsPolicy = Object.keys(svc.secrets).length > 0;
    const routed = svc.loadBalanced ? (svc === defaultService(env) ? [forwardingListener(env)] : [ID.svc(svc, 'ListenerRule')]) : [];
    const dependsOn = [...routed, ...(capacityProvider ? [ID.clusterCapacityProviders] : []), ...(secretsPolicy ? [ID.svc(svc, 'SecretsPolicy')] : [])];
    const namespace = serviceConnect(env);
    return {
      [ID.svc(svc, 'Service')]: {
        Type: 'AWS::ECS::Service',
        Properties: {
          Cluster: ref(ID.cluster),
          TaskDefinition: ref(ID.svc(svc, 'TaskDefinition')),
          DesiredCount: ref(PARAM.desiredCount(svc)),
          ...(svc.loadBalanced
            ? { LoadBalancers: [{ TargetGroupArn: ref(ID.svc(svc, 'TargetGroup')), ContainerName: serviceNames(env.answers.stack, svc).container, ContainerPort: svc.containerPort ?? 80 }], HealthCheckGracePeriodSeconds: 60 }
            : {}),
          DeploymentConfiguration: { DeploymentCircuitBreaker: { Enable: true, Rollback: true }, MinimumHealthyPercent: 100, MaximumPercent: 200 },
          ...(capacityProvider ? { CapacityProviderStrategy: [{ CapacityProvider: ref(ID.capacityProvider), Weight: 1, Base: 0 }] } : { LaunchType: 'EC2' }),
          SchedulingStrategy: 'REPLICA',
          ...(svc.exec ? { EnableExecuteCommand: true } : {}),
          ...(namespace
            ? {
                ServiceConnectConfiguration: {
                  Enabled: true,
                  Namespace: getAtt(ID.namespace, 'Arn'),
                  ...(svc.discovery && svc.containerPort !== undefined ? { Services: [{ PortName: svc.name, DiscoveryName: svc.name, ClientAliases: [{ Port: svc.containerPort, DnsName: svc.name }] }] } : {}),
                },
              }
            : {}),
          PropagateTags: 'SERVICE',
          EnableECSManagedTags: true,
          Tags: tags(env.answers, svc.primary ? 'service' : `${svc.name}-service`),
        },
        ...(dependsOn.length ? { DependsOn: dependsOn } : {}),
      },
    };
  },
};

interface Policy {
  suffix: string;
  metric: string;
  targetValue: number;
  label?: Value;
}

/** The target tracking policies the answers ask for: CPU (also when no metric is named), memory, requests per target. */
function policies(svc: ExportService): Policy[] {
  const s = svc.scaling;
  const noMetric = s.targetCpuPercent === undefined && s.targetMemoryPercent === undefined && s.requestsPerTarget === undefined;
  return [
    ...(s.targetCpuPercent !== undefined || noMetric ? [{ suffix: 'cpu', metric: 'ECSServiceAverageCPUUtilization', targetValue: s.targetCpuPercent ?? DEFAULT_TARGET_CPU_PERCENT }] : []),
    ...(s.targetMemoryPercent !== undefined ? [{ suffix: 'memory', metric: 'ECSServiceAverageMemoryUtilization', targetValue: s.targetMemoryPercent }] : []),
    ...(s.requestsPerTarget !== undefined
      ? [
          {
            suffix: 'requests',
            metric: 'ALBRequestCountPerTarget',
            targetValue: s.requestsPerTarget,
            label: join('/', [getAtt(ID.loadBalancer, 'LoadBalancerFullName'), getAtt(ID.svc(svc, 'TargetGroup'), 'TargetGroupFullName')]),
          },
        ]
      : []),
  ];
}

const POLICY_ID: Record<string, string> = { cpu: 'CpuScaling', memory: 'MemoryScaling', requests: 'RequestScaling' };

export const serviceScaling: TemplatePart = {
  perService: true,
  resources(env, svc): Fragment {
    const s = svc.scaling;
    const target = ID.svc(svc, 'ScalableTarget');
    const out: Fragment = {
      [target]: {
        Type: 'AWS::ApplicationAutoScaling::ScalableTarget',
        Properties: {
          ServiceNamespace: 'ecs',
          ScalableDimension: 'ecs:service:DesiredCount',
          ResourceId: join('/', ['service', ref(ID.cluster), getAtt(ID.svc(svc, 'Service'), 'Name')]),
          MinCapacity: s.minCount,
          MaxCapacity: s.maxCount,
        },
      },
    };
    for (const p of policies(svc)) {
      out[ID.svc(svc, POLICY_ID[p.suffix]!)] = {
        Type: 'AWS::ApplicationAutoScaling::ScalingPolicy',
        Properties: {
          PolicyName: sub(`\${AWS::StackName}-${svc.primary ? '' : `${svc.name}-`}${p.suffix}`),
          PolicyType: 'TargetTrackingScaling',
          ScalingTargetId: ref(target),
          TargetTrackingScalingPolicyConfiguration: {
            TargetValue: p.targetValue,
            PredefinedMetricSpecification: { PredefinedMetricType: p.metric, ...(p.label ? { ResourceLabel: p.label } : {}) },
            ScaleInCooldown: s.scaleInCooldownSeconds,
            ScaleOutCooldown: s.scaleOutCooldownSeconds,
            DisableScaleIn: false,
          },
        },
      };
    }
    return out;
  },
};

/** Service Connect: an AWS Cloud Map HTTP namespace the services find each other in (http://<service>:<port>). */
export const serviceConnectNamespace: TemplatePart = {
  resources: ({ answers: a }): Fragment => ({
    [ID.namespace]: { Type: 'AWS::ServiceDiscovery::HttpNamespace', Properties: { Name: sub('${AWS::StackName}.internal'), Tags: tags(a, 'namespace') } },
  }),
};
