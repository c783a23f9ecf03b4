import { WizardError } from '../errors.js';
import type { StackState } from '../engine/state.js';
import { stackNames } from '../steps/names.js';
import { idFor, selectService, serviceNames, type ServiceKind } from '../steps/services.js';
import type { CapacityProviderOutputs, LogGroupOutputs, RoleOutputs, ServiceOutputs, TaskDefinitionOutputs } from '../steps/outputs.js';
import { validateAnswers } from '../wizard/answers-file.js';
import type { Answers } from '../wizard/schema.js';

/**
 * The service a one-off task or a shell is about: its ECS names, where its containers log, and
 * whether ECS Exec is on for it in the answers. `run` and `exec` learn "which service" here and
 * nowhere else.
 */
export interface TargetService {
  /** The service's name in the answers (the stack's name for the one-service form). */
  name: string;
  stack: string;
  /** The answers key that holds this service's settings (`service` or `services.<name>`). */
  answersPath: string;
  cluster: string;
  ecsService: string;
  family: string;
  container: string;
  /** The log group its containers write to (undefined: logs are off for it). */
  logGroup?: string;
  /** The awslogs stream prefix: streams are `<prefix>/<container>/<task id>`. */
  logStreamPrefix: string;
  /** ECS Exec is on for it in the answers. */
  exec: boolean;
  /** The capacity provider the stack's tasks are placed with (undefined: the EC2 launch type). */
  capacityProvider?: string;
  /** The task role the stack made for the service (its own, not a brought one). */
  stackTaskRole?: string;
  /** A role the user brought (service.taskRoleArn): the tool cannot change it. */
  broughtTaskRoleArn?: string;
  /** The names of its secrets (set by ECS from where they are stored). */
  secrets: string[];
  cpu: number;
  memory: number;
  instanceType: string;
  /** The service's task definition as the state last recorded it. */
  recordedTaskDefinition?: string;
}

type Outputs<T> = Partial<T> | undefined;

/**
 * The service `--service` names, or the only one (the day-2 rule: several services and no flag, or
 * a name the stack does not have, is bad input, exit 2, before any AWS call), with its names and
 * what the state recorded of it.
 */
export function targetService(state: StackState, flag: string | undefined, command: string): TargetService {
  const stack = state.stack;
  if (state.answers === undefined) {
    throw new WizardError('STATE_MISSING', `${stack} has no recorded answers: its first create never got far enough to have a service.`, { hint: `Run \`ecs-wizard create --answers FILE\` for ${stack} first.` });
  }
  const answers: Answers = validateAnswers(state.answers);
  const svc = selectService(answers, flag, command);
  const n = stackNames(stack);
  const names = serviceNames(stack, svc);
  const out = <T>(kind: ServiceKind | 'log-group' | 'capacity-provider'): Outputs<T> =>
    state.resources[kind === 'log-group' || kind === 'capacity-provider' ? kind : idFor(svc, kind)]?.outputs as Outputs<T>;
  const recorded = out<ServiceOutputs>('service');
  const makesRole = svc.taskRoleArn === undefined && (svc.taskRolePolicies !== undefined || svc.exec);
  const cp = out<CapacityProviderOutputs>('capacity-provider')?.capacityProviderName;
  const td = out<TaskDefinitionOutputs>('task-definition');
  return {
    name: svc.name,
    stack,
    answersPath: svc.at,
    cluster: recorded?.clusterName ?? n.cluster,
    ecsService: recorded?.serviceName ?? names.service,
    family: td?.family ?? names.taskFamily,
    container: names.container,
    ...(svc.logs ? { logGroup: out<LogGroupOutputs>('log-group')?.logGroupName ?? n.logGroup } : {}),
    logStreamPrefix: names.logStreamPrefix,
    exec: svc.exec,
    ...(cp ? { capacityProvider: cp } : {}),
    ...(makesRole ? { stackTaskRole: out<RoleOutputs>('task-role')?.roleName ?? names.taskRole } : {}),
    ...(svc.taskRoleArn ? { broughtTaskRoleArn: svc.taskRoleArn } : {}),
    secrets: Object.keys(svc.secrets),
    cpu: svc.cpu,
    memory: svc.memory,
    instanceType: answers.instances.instanceType,
    ...(td?.taskDefinitionArn ? { recordedTaskDefinition: td.taskDefinitionArn } : {}),
  };
}
