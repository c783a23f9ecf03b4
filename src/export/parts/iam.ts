import { BOUNDARY_POLICY_NAME } from '../../aws/boundary.js';
import { EXECUTION_ROLE_POLICY, INSTANCE_ROLE_POLICY, trustPolicy } from '../../steps/stack/iam.js';
import { secretResource } from '../../steps/service/secrets-policy.js';
import { ifThen, NO_VALUE, partitionArn, ref, sub, type Fragment, type Value } from '../cfn.js';
import { COND, ID, PARAM, stepIdFor, tags, type ExportEnv, type TemplatePart } from '../env.js';
import type { ExportService } from '../services.js';

/**
 * Every role under the permissions boundary, as the wizard makes them: the parameter's ARN, by
 * default the account's ecs-wizard-boundary (built from AWS::Partition and AWS::AccountId), or
 * none when the parameter says so.
 */
export const boundary = (): Value =>
  ifThen(COND.boundaryNone, NO_VALUE, ifThen(COND.boundaryDefault, partitionArn(`iam::\${AWS::AccountId}:policy/${BOUNDARY_POLICY_NAME}`), ref(PARAM.boundary)));

const managed = (path: string): Value => partitionArn(`iam::aws:policy/${path}`);

function role(env: ExportEnv, service: string, policies: Value[], description: string, name: string, inline?: Value[]): Fragment[string] {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: trustPolicy(service) as unknown as Value,
      Description: description,
      ...(policies.length ? { ManagedPolicyArns: policies } : {}),
      ...(inline?.length ? { Policies: inline } : {}),
      PermissionsBoundary: boundary(),
      Tags: tags(env.answers, name),
    },
  };
}

export const instanceRole: TemplatePart = {
  resources: (env): Fragment => ({ [ID.instanceRole]: role(env, 'ec2.amazonaws.com', [managed(INSTANCE_ROLE_POLICY)], 'ECS container instances of an ecs-wizard stack', 'ecs-instance') }),
};

export const instanceProfile: TemplatePart = {
  resources: (): Fragment => ({ [ID.instanceProfile]: { Type: 'AWS::IAM::InstanceProfile', Properties: { Roles: [ref(ID.instanceRole)] } } }),
};

export const executionRole: TemplatePart = {
  resources: (env): Fragment => ({ [ID.executionRole]: role(env, 'ecs-tasks.amazonaws.com', [managed(EXECUTION_ROLE_POLICY)], 'ECS task execution for an ecs-wizard stack', 'ecs-task-execution') }),
};

/** ECS Exec: the task's side of the Session Manager channel (the boundary allows exactly these). */
const EXEC_POLICY: Value = {
  PolicyName: 'ecs-exec',
  PolicyDocument: {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel'], Resource: '*' },
    ],
  },
};

/** Whether the stack makes the service's task role (its task-role step is in the plan). */
export const makesTaskRole = (env: ExportEnv, svc: ExportService): boolean => env.planned.has(stepIdFor(svc, 'task-role'));

/** The application's own role: exactly the answers' managed policies (and ECS Exec's channel when asked). */
export function taskRoleResource(env: ExportEnv, svc: ExportService): Fragment {
  return {
    [ID.svc(svc, 'TaskRole')]: role(
      env,
      'ecs-tasks.amazonaws.com',
      svc.taskRolePolicies ?? [],
      "The containers of an ecs-wizard stack's service",
      svc.primary ? 'ecs-task' : `${svc.name}-ecs-task`,
      svc.exec ? [EXEC_POLICY] : [],
    ),
  };
}

export const taskRole: TemplatePart = { perService: true, resources: taskRoleResource };

/**
 * Read access to exactly the secrets the service names, on the execution role (secretResource:
 * the secret's own ARN; an SSM parameter name becomes its ARN in the stack's region and account).
 */
export const secretsPolicy: TemplatePart = {
  perService: true,
  resources(env, svc): Fragment {
    const values = [...new Set(Object.values(svc.secrets))].sort();
    if (values.length === 0) return {};
    const resource = (v: string): Value =>
      v.startsWith('arn:') ? secretResource(v, { region: '', accountId: '' }) : partitionArn(`ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/${v.replace(/^\//, '')}`);
    const ssm = values.filter((v) => !v.startsWith('arn:') || v.split(':')[2] === 'ssm').map(resource);
    const sm = values.filter((v) => v.startsWith('arn:') && v.split(':')[2] === 'secretsmanager').map(resource);
    return {
      [ID.svc(svc, 'SecretsPolicy')]: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          PolicyName: sub(`\${AWS::StackName}-${svc.primary ? '' : `${svc.name}-`}secrets`),
          Roles: [ref(ID.executionRole)],
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              ...(ssm.length ? [{ Effect: 'Allow', Action: 'ssm:GetParameters', Resource: ssm }] : []),
              ...(sm.length ? [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: sm }] : []),
            ],
          },
        },
      },
    };
  },
};
