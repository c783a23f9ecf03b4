import type { ResourceStep } from '../../engine/types.js';
import type { StackEnv } from '../env.js';
import { roleStep } from '../stack/iam.js';
import { idFor, serviceNames, type ServiceSpec } from '../services.js';
import { EXEC_POLICY_NAME, execPolicyDocument } from './exec.js';

/**
 * A service's own role (its taskRolePolicies, or ECS Exec): what its containers may do, exactly the
 * managed policies the answers list, and with `exec: true` the inline policy `ecs-exec` for the
 * session's channels (removed when exec is turned off) — within the boundary, like every role the
 * stack makes. The primary's is `<stack>-ecs-task`, another service's `<stack>--<name>-ecs-task`.
 */
export function taskRoleStep(svc: ServiceSpec): ResourceStep<StackEnv> {
  return roleStep({
    id: idFor(svc, 'task-role'),
    title: svc.primary ? 'Task IAM role' : `Task IAM role (${svc.name})`,
    roleName: (env) => serviceNames(env.names.stack, svc).taskRole,
    service: 'ecs-tasks.amazonaws.com',
    forService: svc.name,
    policies: () => svc.taskRolePolicies ?? [],
    exact: true,
    inline: { name: EXEC_POLICY_NAME, document: () => (svc.exec ? execPolicyDocument() : undefined) },
    description: "The containers of an ecs-wizard stack's service",
  });
}
