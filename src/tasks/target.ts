import { WizardError } from '../errors.js';
import type { StackState } from '../engine/state.js';
import { stackNames } from '../steps/names.js';
import type { CapacityProviderOutputs, LogGroupOutputs, RoleOutputs, ServiceOutputs, TaskDefinitionOutputs } from '../steps/outputs.js';
import { validateAnswers } from '../wizard/answers-file.js';
import type { Answers } from '../wizard/schema.js';
import { closeNames, oneOf } from '../words.js';

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
  cpu: number;
  memory: number;
  instanceType: string;
  /** The service's task definition as the state last recorded it. */
  recordedTaskDefinition?: string;
}

type Outputs<T> = Partial<T> | undefined;

/**
 * The one service of a stack, or the one `--service` names. A name the stack does not have is bad
 * input (exit 2) with the names it has. (Several services come with issue 23: this is the one
 * function that learns them.)
 */
export function targetService(state: StackState, flag: string | undefined, command: string): TargetService {
  const stack = state.stack;
  if (state.answers === undefined) {
    throw new WizardError('STATE_MISSING', `${stack} has no recorded answers: its first create never got far enough to have a service.`, { hint: `Run \`ecs-wizard create --answers FILE\` for ${stack} first.` });
  }
  const answers: Answers = validateAnswers(state.answers);
  const names = [stack];
  if (flag !== undefined && !names.includes(flag)) {
    const close = closeNames(flag, names);
    throw new WizardError('INPUT_INVALID', `${stack} has no service named ${flag}${close.length ? `; did you mean ${oneOf(close)}?` : ''}`, {
      problems: [{ path: '--service', message: `must be one of the stack's services: ${names.join(', ')}` }],
      hint: `Run \`ecs-wizard ${command} ${stack} --service ${names[0]}\`, or leave --service out: the stack has one service.`,
    });
  }
  const n = stackNames(stack);
  const out = <T>(id: string): Outputs<T> => state.resources[id]?.outputs as Outputs<T>;
  const svc = out<ServiceOutputs>('service');
  const raw = (state.answers as { service?: { exec?: unknown } } | undefined)?.service;
  const s = answers.service;
  return {
    name: stack,
    stack,
    answersPath: 'service',
    cluster: svc?.clusterName ?? n.cluster,
    ecsService: svc?.serviceName ?? n.service,
    family: out<TaskDefinitionOutputs>('task-definition')?.family ?? n.taskFamily,
    container: n.container,
    ...(s.logs ? { logGroup: out<LogGroupOutputs>('log-group')?.logGroupName ?? n.logGroup } : {}),
    logStreamPrefix: 'ecs',
    exec: raw?.exec === true,
    ...(out<CapacityProviderOutputs>('capacity-provider')?.capacityProviderName ? { capacityProvider: out<CapacityProviderOutputs>('capacity-provider')!.capacityProviderName } : {}),
    ...(s.taskRolePolicies !== undefined || raw?.exec === true ? { stackTaskRole: out<RoleOutputs>('task-role')?.roleName ?? n.taskRole } : {}),
    ...(s.taskRoleArn ? { broughtTaskRoleArn: s.taskRoleArn } : {}),
    cpu: s.cpu,
    memory: s.memory,
    instanceType: answers.instances.instanceType,
    ...(out<TaskDefinitionOutputs>('task-definition')?.taskDefinitionArn ? { recordedTaskDefinition: out<TaskDefinitionOutputs>('task-definition')!.taskDefinitionArn } : {}),
  };
}
