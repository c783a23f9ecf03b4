import type { ServiceSpec } from '../services.js';

/**
 * ECS Exec for a service (`exec: true`, issue 24): the ECS service allows it
 * (`enableExecuteCommand`, with a new deployment when it changes: only tasks started after can be
 * reached), and the task role — the stack's own, made for it when the answers list no policies —
 * may open the session's Systems Manager channels, inside the stack's permissions boundary (which
 * names these four actions). A role the user brings (`taskRoleArn`) is theirs: the tool adds
 * nothing to it, and `exec` checks it before each session.
 */

/** The four actions the task role needs for the session's channels (ECS developer guide, "ECS Exec"). */
export const SSM_MESSAGES_ACTIONS = ['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel'] as const;

/** The inline policy on the stack's task role that carries them. */
export const EXEC_POLICY_NAME = 'ecs-exec';

export function execPolicyDocument(): object {
  return { Version: '2012-10-17', Statement: [{ Sid: 'EcsExecChannels', Effect: 'Allow', Action: [...SSM_MESSAGES_ACTIONS], Resource: '*' }] };
}

/** The stack makes the service a task role: for its managed policies, or for ECS Exec — unless the user brings one. */
export function makesTaskRole(svc: Pick<ServiceSpec, 'taskRoleArn' | 'taskRolePolicies' | 'exec'>): boolean {
  return svc.taskRoleArn === undefined && (svc.taskRolePolicies !== undefined || svc.exec);
}
