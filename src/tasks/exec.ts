import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ExecuteCommandCommand,
  ListTasksCommand,
  type Container,
  type Task,
} from '@aws-sdk/client-ecs';
import { IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsClients } from '../aws/clients.js';
import { awsErrorCode, isAccessDenied, isExecuteCommandRefused, isExecTargetNotConnected, isNotFound, unlessNotFound } from '../aws/errors.js';
import { parseTaskId } from '../deploy/logs.js';
import { WizardError, inputError, type Problem } from '../errors.js';
import { plural } from '../words.js';
import { findPlugin, installHint, type ExecSession } from './session-plugin.js';
import type { TargetService } from './target.js';

/**
 * `ecs-wizard exec`: a shell (or one command) in a running container through ECS Exec. Before
 * ExecuteCommand it checks, in amazon-ecs-exec-checker's order, what makes ECS Exec fail with
 * opaque errors, and stops at the first failure saying how to fix it (exit 2):
 *   1. ECS Exec is on for the service (or the task);
 *   2. the task was started with it, and its ExecuteCommandAgent runs;
 *   3. the task role may open the SSM message channels (ssmmessages:*Channel);
 *   4. session-manager-plugin is installed here;
 *   5. the caller may ecs:ExecuteCommand on the task.
 */

export interface ExecFlags {
  task?: string;
  container?: string;
}

export interface ExecRequest {
  task?: string;
  container?: string;
  /** What runs in the container (ExecuteCommand takes one string; the default is a shell). */
  command: string;
}

export const DEFAULT_EXEC_COMMAND = '/bin/sh';

export { SSM_MESSAGES_ACTIONS } from '../steps/service/exec.js';
import { SSM_MESSAGES_ACTIONS } from '../steps/service/exec.js';

/** --task and --container checked before any AWS call (exit 2). */
export function parseExecRequest(flags: ExecFlags, command: string[]): ExecRequest {
  const problems: Problem[] = [];
  const task = flags.task !== undefined ? parseTaskId(flags.task, problems) : undefined;
  if (flags.container !== undefined && !/^[A-Za-z0-9_-]{1,255}$/.test(flags.container)) {
    problems.push({ path: '--container', message: `must be a container name (letters, digits, - and _), got "${flags.container}"` });
  }
  if (command.length && command.every((w) => w.trim() === '')) problems.push({ path: 'CMD', message: 'is empty: leave it out for a shell, or give the command after `--`' });
  if (problems.length) throw inputError(problems, 'options');
  return { ...(task ? { task } : {}), ...(flags.container ? { container: flags.container } : {}), command: command.length ? command.join(' ') : DEFAULT_EXEC_COMMAND };
}

export interface ExecEnv {
  aws: AwsClients;
  region: string;
  /** Where to look for the plugin (PATH). */
  env: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

/** What each check found (for --output json and --verbose): passed, or skipped with why. */
export interface ExecCheck {
  check: 'exec-enabled' | 'task' | 'task-role' | 'plugin' | 'caller';
  result: 'passed' | 'skipped';
  note?: string;
}

export interface PreparedExec {
  task: Task;
  container: Container;
  pluginPath: string;
  checks: ExecCheck[];
}

/** A check that failed: exit 2, its number and the fix. */
function failed(n: number, message: string, problem: Problem, hint: string): WizardError {
  return new WizardError('USAGE', `ECS Exec check ${n} of 5 failed: ${message}`, { problems: [problem], hint });
}

const ecs = (env: ExecEnv) => env.aws.get(ECSClient);
const taskIdOf = (arn: string): string => arn.split('/').pop() ?? arn;

/** The task --task names (its id, the start of it, or its ARN), or the newest running task of the service. */
async function findTask(env: ExecEnv, target: TargetService, req: ExecRequest): Promise<Task | undefined> {
  const client = ecs(env);
  let arns: string[];
  if (req.task && (/^[0-9a-f]{32}$/.test(req.task) || /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/.test(req.task))) {
    arns = [req.task];
  } else {
    const listed: string[] = [];
    let nextToken: string | undefined;
    do {
      const r = await client.send(new ListTasksCommand({ cluster: target.cluster, ...(req.task ? {} : { serviceName: target.ecsService }), desiredStatus: 'RUNNING', nextToken }));
      listed.push(...(r.taskArns ?? []));
      nextToken = r.nextToken;
    } while (nextToken);
    arns = req.task ? listed.filter((a) => taskIdOf(a).startsWith(req.task!)) : listed;
    if (req.task && arns.length > 1) {
      throw inputError([{ path: '--task', message: `"${req.task}" is the start of ${plural(arns.length, 'running task')}' ids (${arns.map(taskIdOf).join(', ')}): give more of it` }], 'options');
    }
  }
  if (arns.length === 0) return undefined;
  const tasks: Task[] = [];
  for (let i = 0; i < arns.length; i += 100) {
    tasks.push(...((await client.send(new DescribeTasksCommand({ cluster: target.cluster, tasks: arns.slice(i, i + 100) }))).tasks ?? []));
  }
  if (req.task) return tasks[0];
  return tasks.filter((t) => t.lastStatus === 'RUNNING').sort((a, b) => (b.startedAt?.getTime() ?? 0) - (a.startedAt?.getTime() ?? 0))[0];
}

/** The role ARN a simulation can name for the caller: an assumed role's role (without its path, which the session ARN does not carry). */
export function principalOf(callerArn: string): string | undefined {
  const m = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(callerArn);
  if (m) return `arn:${m[1]}:iam::${m[2]}:role/${m[3]}`;
  if (/^arn:[^:]+:iam::\d{12}:(user|role)\//.test(callerArn)) return callerArn;
  // (an emulator's caller may read an sts ARN ending :user/NAME: the same user)
  const user = /^arn:([^:]+):sts::(\d{12}):user\/(.+)$/.exec(callerArn);
  if (user) return `arn:${user[1]}:iam::${user[2]}:user/${user[3]}`;
  return undefined;
}

/** IAM's verdict on each action for a principal; undefined when the simulation itself is not allowed (or the principal cannot be simulated). */
async function simulate(env: ExecEnv, principal: string, actions: readonly string[], resources?: string[]): Promise<{ denied: string[] } | { skipped: string }> {
  try {
    const r = await env.aws.get(IAMClient).send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: principal, ActionNames: [...actions], ...(resources ? { ResourceArns: resources } : {}) }));
    return { denied: (r.EvaluationResults ?? []).filter((e) => e.EvalDecision !== 'allowed').map((e) => e.EvalActionName ?? '?') };
  } catch (err) {
    if (isAccessDenied(err)) return { skipped: `iam:SimulatePrincipalPolicy is not allowed to you (${awsErrorCode(err)})` };
    if (isNotFound(err)) return { skipped: `IAM does not know ${principal} as it is written (a role with a path?)` };
    throw err;
  }
}

/**
 * Runs the five checks, in order, and stops at the first that fails (exit 2 with its fix). A check
 * IAM does not let the caller run (the simulations) is skipped with a note instead.
 */
export async function prepareExec(env: ExecEnv, target: TargetService, req: ExecRequest, note: (message: string) => void = () => undefined): Promise<PreparedExec> {
  const checks: ExecCheck[] = [];
  const client = ecs(env);
  const stack = target.stack;
  const svc = await unlessNotFound(async () => (await client.send(new DescribeServicesCommand({ cluster: target.cluster, services: [target.ecsService] }))).services?.[0]);
  const task = await findTask(env, target, req);
  if (req.task && !task) {
    throw inputError([{ path: '--task', message: `no running task ${req.task} in cluster ${target.cluster} (\`aws ecs list-tasks --cluster ${target.cluster}\` lists them)` }], 'options');
  }

  // 1. ECS Exec on for the service (or for the task named: `run --detach` of a service with it).
  if (!svc?.enableExecuteCommand && !task?.enableExecuteCommand) {
    const key = `${target.answersPath}.exec`;
    const why = target.exec
      ? `${key} is true in the answers, but the service ${target.ecsService} does not have it yet`
      : `ECS Exec is off for the service ${target.ecsService} (${key} is not true)`;
    throw failed(1, `${why}: no task of it can be reached.`, { path: key, message: target.exec ? 'is not applied yet' : 'must be true' }, `Set ${key}: true in the answers file and run \`ecs-wizard create --answers FILE\`: the service allows ECS Exec, its task role gets the ssmmessages permissions, and new tasks start (only tasks started after that can be reached).`);
  }
  checks.push({ check: 'exec-enabled', result: 'passed' });

  // 2. The task: running, started with ECS Exec, its agent up.
  if (!task) {
    throw failed(2, `the service ${target.ecsService} has no running task.`, { path: '--task', message: 'no running task to open a shell in' }, `\`ecs-wizard status ${stack}\` says why; \`ecs-wizard run ${stack} --detach -- sleep 3600\` starts one you can reach with --task.`);
  }
  const taskId = taskIdOf(task.taskArn!);
  if (task.lastStatus !== 'RUNNING') {
    throw failed(2, `task ${taskId} is ${task.lastStatus ?? 'not running'}: only a running task can be reached.`, { path: '--task', message: `is ${task.lastStatus}` }, 'Wait until it runs, or name another task with --task.');
  }
  if (!task.enableExecuteCommand) {
    throw failed(2, `task ${taskId} was started without ECS Exec (before it was turned on for the service): only tasks started since can be reached.`, { path: '--task', message: 'was not started with ECS Exec' }, `Start new tasks: \`ecs-wizard deploy ${stack} --force\` (or \`ecs-wizard run ${stack} --detach -- sleep 3600\` for one of your own), then run exec again.`);
  }
  const name = req.container ?? target.container;
  const container = task.containers?.find((c) => c.name === name);
  if (!container) {
    throw failed(2, `task ${taskId} has no container named ${name}.`, { path: '--container', message: `must be one of ${(task.containers ?? []).map((c) => c.name).join(', ')}` }, `Name one of its containers with --container.`);
  }
  const agent = container.managedAgents?.find((a) => a.name === 'ExecuteCommandAgent');
  if (agent?.lastStatus !== 'RUNNING') {
    const status = agent?.lastStatus ?? 'not reported';
    throw failed(
      2,
      `the ECS Exec agent of container ${name} in task ${taskId} is ${status}${agent?.reason ? ` (${agent.reason})` : ''}.`,
      { path: '--task', message: `its ExecuteCommandAgent is ${status}` },
      agent?.lastStatus === 'PENDING'
        ? 'It is still starting: try again in a few seconds.'
        : 'The agent needs to reach Systems Manager (ssmmessages) from the host: hosts in private subnets need their NAT gateway. Start a new task (`ecs-wizard deploy STACK --force`) once that is so.'.replace('STACK', stack),
    );
  }
  if (!container.runtimeId) {
    throw failed(2, `ECS reports no runtime id for container ${name} of task ${taskId} yet.`, { path: '--task', message: 'its container has no runtime id yet' }, 'Try again in a few seconds.');
  }
  checks.push({ check: 'task', result: 'passed' });

  // 3. The task role: the session's channels are opened with it.
  const roleArn = task.overrides?.taskRoleArn ?? (await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: task.taskDefinitionArn! }))).taskDefinition?.taskRoleArn;
  const key = `${target.answersPath}.exec`;
  if (!roleArn) {
    throw failed(3, `task ${taskId} runs without a task role: ECS Exec opens its channels with the task role.`, { path: key, message: 'needs a task role' }, `Set ${key}: true and run \`ecs-wizard create --answers FILE\`: the stack gives the service a task role with the ssmmessages permissions.`);
  }
  const role = await simulate(env, roleArn, SSM_MESSAGES_ACTIONS);
  if ('skipped' in role) {
    note(`Check 3 (the task role's ssmmessages permissions) skipped: ${role.skipped}.`);
    checks.push({ check: 'task-role', result: 'skipped', note: role.skipped });
  } else if (role.denied.length) {
    const roleName = roleArn.split('/').pop();
    const ours = roleName === target.stackTaskRole;
    throw failed(
      3,
      `the task role ${roleArn} may not ${role.denied.join(', ')}: the session could not open.`,
      { path: ours ? key : `${target.answersPath}.taskRoleArn`, message: `its role lacks ${role.denied.join(', ')}` },
      ours
        ? `Run \`ecs-wizard create --answers FILE\` with ${key}: true: it puts them on ${roleName} (within the stack's permissions boundary).`
        : `${roleName} is not the stack's: add ${SSM_MESSAGES_ACTIONS.join(', ')} (Resource "*") to it, then start new tasks.`,
    );
  } else {
    checks.push({ check: 'task-role', result: 'passed' });
  }

  // 4. session-manager-plugin, here.
  const pluginPath = findPlugin(env.env, env.platform);
  if (!pluginPath) {
    throw failed(4, 'session-manager-plugin is not installed here (not on PATH): it carries the session.', { path: 'PATH', message: 'has no session-manager-plugin' }, `${installHint(env.platform)}\nThen check it with \`session-manager-plugin --version\` and run exec again.`);
  }
  checks.push({ check: 'plugin', result: 'passed', note: pluginPath });

  // 5. The caller may ecs:ExecuteCommand on this task.
  const caller = (await env.aws.get(STSClient).send(new GetCallerIdentityCommand({}))).Arn ?? '';
  const principal = principalOf(caller);
  if (!principal) {
    const why = `IAM cannot simulate ${caller || 'the caller'} (root or a federated user)`;
    note(`Check 5 (may you ecs:ExecuteCommand) skipped: ${why}.`);
    checks.push({ check: 'caller', result: 'skipped', note: why });
  } else {
    const you = await simulate(env, principal, ['ecs:ExecuteCommand'], [task.taskArn!]);
    if ('skipped' in you) {
      note(`Check 5 (may you ecs:ExecuteCommand) skipped: ${you.skipped}.`);
      checks.push({ check: 'caller', result: 'skipped', note: you.skipped });
    } else if (you.denied.length) {
      throw failed(5, `you (${caller}) may not ecs:ExecuteCommand on task ${taskId}.`, { path: 'ecs:ExecuteCommand', message: `is not allowed to ${principal}` }, `Ask an administrator for ecs:ExecuteCommand on the cluster's tasks (docs/iam-policy.json has it): anyone allowed it on ${target.cluster} can open a shell in these containers.`);
    } else {
      checks.push({ check: 'caller', result: 'passed' });
    }
  }
  return { task, container, pluginPath, checks };
}

/** The ECS endpoint a client calls: the custom one, else the one the SDK resolves for the region. */
async function ecsEndpoint(env: ExecEnv): Promise<string> {
  const config = ecs(env).config as unknown as { endpointProvider: (p: Record<string, unknown>) => { url: URL } };
  if (env.aws.target.endpointUrl) return env.aws.target.endpointUrl;
  return config.endpointProvider({ Region: env.region, UseFIPS: false, UseDualStack: false }).url.href.replace(/\/$/, '');
}

/**
 * ExecuteCommand (interactive), and what the plugin needs to carry the session. ECS's own refusals
 * after the checks passed (an agent that just went away) are said with ECS's words and the fix.
 */
export async function startExec(env: ExecEnv, target: TargetService, prepared: PreparedExec, req: ExecRequest, profile: string): Promise<ExecSession> {
  const { task, container } = prepared;
  const taskId = taskIdOf(task.taskArn!);
  let r;
  try {
    r = await ecs(env).send(new ExecuteCommandCommand({ cluster: target.cluster, task: task.taskArn, container: container.name, command: req.command, interactive: true }));
  } catch (err) {
    if (isExecTargetNotConnected(err)) {
      throw new WizardError('AWS', `ECS could not reach the ECS Exec agent of task ${taskId} (TargetNotConnectedException).`, {
        hint: 'The agent lost its connection to Systems Manager: start a new task (`ecs-wizard deploy STACK --force`), and check that the hosts reach ssmmessages (a NAT gateway for private subnets).'.replace('STACK', target.stack),
        cause: err,
      });
    }
    if (isExecuteCommandRefused(err)) {
      throw new WizardError('AWS', `ECS refused the command: ${(err as Error).message}`, { hint: 'The checks passed a moment ago: wait a few seconds and run exec again, or start a new task.', cause: err });
    }
    throw err;
  }
  const session = r.session ?? {};
  return {
    session: { sessionId: session.sessionId, streamUrl: session.streamUrl, tokenValue: session.tokenValue },
    region: env.region,
    profile,
    cluster: (r.clusterArn ?? target.cluster).split('/').pop()!,
    taskId: taskIdOf(r.taskArn ?? task.taskArn!),
    runtimeId: container.runtimeId!,
    endpoint: await ecsEndpoint(env),
  };
}
