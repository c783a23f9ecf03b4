import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { mockClient } from 'aws-sdk-client-mock';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, DescribeTasksCommand, ECSClient, ExecuteCommandCommand, ListTasksCommand, type Task } from '@aws-sdk/client-ecs';
import { IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { AwsClients } from '../../../src/aws/clients.js';
import { isExecTargetNotConnected, isExecuteCommandRefused } from '../../../src/aws/errors.js';
import { emptyState } from '../../../src/engine/state.js';
import { isWizardError } from '../../../src/errors.js';
import { parseExecRequest, prepareExec, principalOf, startExec, type ExecEnv } from '../../../src/tasks/exec.js';
import { findPlugin, installHint, pluginArgs } from '../../../src/tasks/session-plugin.js';
import { targetService } from '../../../src/tasks/target.js';
import { validateAnswers } from '../../../src/wizard/answers-file.js';
import { sdkError } from '../../support/aws-wire.js';
import { tempDir } from '../../support/stack.js';

const ecs = mockClient(ECSClient);
const iam = mockClient(IAMClient);
const sts = mockClient(STSClient);
afterEach(() => {
  ecs.reset();
  iam.reset();
  sts.reset();
});

const ID = '0123456789abcdef0123456789abcdef';
const TASK = `arn:aws:ecs:us-east-1:123456789012:task/shop/${ID}`;
const ROLE = 'arn:aws:iam::123456789012:role/shop-ecs-task';
const target = targetService({ ...emptyState('shop'), answers: validateAnswers({ stack: 'shop', service: { taskRolePolicies: [] } }), resources: {} }, undefined, 'exec');
let pluginDir: string;
const env = (PATH = pluginDir): ExecEnv => ({ aws: new AwsClients({ region: 'us-east-1', endpointUrl: 'http://127.0.0.1:9' }), region: 'us-east-1', env: { PATH }, platform: 'linux' });
const task = (over: Partial<Task> = {}): Task => ({
  taskArn: TASK,
  lastStatus: 'RUNNING',
  enableExecuteCommand: true,
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/shop:4',
  startedAt: new Date(),
  containers: [{ name: 'app', runtimeId: `${ID}-1234567890`, managedAgents: [{ name: 'ExecuteCommandAgent', lastStatus: 'RUNNING' }] }],
  ...over,
});
const simulated = (denied: string[] = []) => async (input: { ActionNames?: string[] }) => ({ EvaluationResults: (input.ActionNames ?? []).map((a) => ({ EvalActionName: a, EvalDecision: denied.includes(a) ? 'implicitDeny' : 'allowed' })) });

/** ECS and IAM as a stack with ECS Exec on answers them; each test changes one thing. */
function world(o: { serviceExec?: boolean; task?: Task; role?: string | null; roleDenied?: string[]; callerDenied?: boolean; caller?: string } = {}): void {
  ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'shop', status: 'ACTIVE', enableExecuteCommand: o.serviceExec ?? true }] });
  ecs.on(DescribeTasksCommand).resolves({ tasks: [o.task ?? task()] });
  ecs.on(ListTasksCommand).resolves({ taskArns: [TASK] });
  ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { ...(o.role === null ? {} : { taskRoleArn: o.role ?? ROLE }) } });
  iam.on(SimulatePrincipalPolicyCommand).callsFake(async (input: { PolicySourceArn?: string; ActionNames?: string[] }) => simulated(input.PolicySourceArn === ROLE ? (o.roleDenied ?? []) : o.callerDenied ? ['ecs:ExecuteCommand'] : [])(input));
  sts.on(GetCallerIdentityCommand).resolves({ Arn: o.caller ?? 'arn:aws:sts::123456789012:assumed-role/Operators/ana' });
}

async function failure(o: Parameters<typeof world>[0], PATH?: string): Promise<{ message: string; hint?: string; path?: string }> {
  world(o);
  try {
    await prepareExec(env(PATH), target, parseExecRequest({}, []));
  } catch (err) {
    if (!isWizardError(err)) throw err;
    expect(err.code).toBe('USAGE');
    return { message: err.message, hint: err.hint, path: err.problems[0]?.path };
  }
  throw new Error('the checks passed');
}

beforeAll(() => {
  pluginDir = tempDir('smp-');
  writeFileSync(path.join(pluginDir, 'session-manager-plugin'), '#!/bin/sh\nexit 0\n');
  chmodSync(path.join(pluginDir, 'session-manager-plugin'), 0o755);
});

describe('exec: the five checks, in amazon-ecs-exec-checker\'s order, stopping at the first failure', () => {
  it('all pass: the newest running task of the service, its container, the plugin found; five checks passed', async () => {
    world();
    const p = await prepareExec(env(), target, parseExecRequest({}, []));
    expect(p.task.taskArn).toBe(TASK);
    expect(p.pluginPath).toBe(path.join(pluginDir, 'session-manager-plugin'));
    expect(p.checks.map((c) => `${c.check}:${c.result}`)).toEqual(['exec-enabled:passed', 'task:passed', 'task-role:passed', 'plugin:passed', 'caller:passed']);
    // (the task role's four channel actions; the caller's assumed role, on this task)
    const sims = iam.commandCalls(SimulatePrincipalPolicyCommand).map((c) => c.args[0].input);
    expect(sims).toEqual([
      { PolicySourceArn: ROLE, ActionNames: ['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel'] },
      { PolicySourceArn: 'arn:aws:iam::123456789012:role/Operators', ActionNames: ['ecs:ExecuteCommand'], ResourceArns: [TASK] },
    ]);
  });

  it('1: ECS Exec off for the service (and the task): names service.exec; the first failure wins over every later one', async () => {
    const f = await failure({ serviceExec: false, task: task({ enableExecuteCommand: false }), role: null }, '/nonexistent');
    expect(f.message).toContain('check 1 of 5 failed: ECS Exec is off for the service shop (service.exec is not true)');
    expect(f.path).toBe('service.exec');
    expect(f.hint).toContain('Set service.exec: true in the answers file and run `ecs-wizard create --answers FILE`');
    expect(iam.commandCalls(SimulatePrincipalPolicyCommand)).toHaveLength(0);
  });

  it('1 passes for a task started with ECS Exec though the service is not (run --detach of a service that had it)', async () => {
    world({ serviceExec: false });
    await expect(prepareExec(env(), target, parseExecRequest({}, []))).resolves.toBeDefined();
  });

  it('2: a task started before ECS Exec was turned on: says so, and how to start new tasks', async () => {
    const f = await failure({ task: task({ enableExecuteCommand: false }) });
    expect(f.message).toContain(`check 2 of 5 failed: task ${ID} was started without ECS Exec`);
    expect(f.hint).toContain('`ecs-wizard deploy shop --force`');
  });

  it('2: its ExecuteCommandAgent is still PENDING: try again in a few seconds', async () => {
    const f = await failure({ task: task({ containers: [{ name: 'app', runtimeId: 'r', managedAgents: [{ name: 'ExecuteCommandAgent', lastStatus: 'PENDING' }] }] }) });
    expect(f.message).toContain('the ECS Exec agent of container app in task');
    expect(f.message).toContain('is PENDING');
    expect(f.hint).toBe('It is still starting: try again in a few seconds.');
  });

  it('3: no task role at all', async () => {
    const f = await failure({ role: null });
    expect(f.message).toContain(`check 3 of 5 failed: task ${ID} runs without a task role`);
  });

  it('3: the stack\'s task role lacks a channel action: names it and says create puts it there', async () => {
    const f = await failure({ roleDenied: ['ssmmessages:OpenDataChannel'] });
    expect(f.message).toContain(`check 3 of 5 failed: the task role ${ROLE} may not ssmmessages:OpenDataChannel`);
    expect(f.hint).toContain('it puts them on shop-ecs-task');
  });

  it('3: a simulation IAM does not allow is skipped with a note (AccessDenied, as IAM answers it), and the checks go on', async () => {
    world();
    iam.on(SimulatePrincipalPolicyCommand).rejects(await sdkError(IAMClient, SimulatePrincipalPolicyCommand, 'AccessDenied', 'User: arn:aws:sts::123456789012:assumed-role/Operators/ana is not authorized to perform: iam:SimulatePrincipalPolicy', { status: 403 }));
    const notes: string[] = [];
    const p = await prepareExec(env(), target, parseExecRequest({}, []), (n) => void notes.push(n));
    expect(p.checks.map((c) => `${c.check}:${c.result}`)).toEqual(['exec-enabled:passed', 'task:passed', 'task-role:skipped', 'plugin:passed', 'caller:skipped']);
    expect(notes).toEqual([expect.stringContaining('Check 3 (the task role\'s ssmmessages permissions) skipped: iam:SimulatePrincipalPolicy is not allowed to you (AccessDenied)'), expect.stringContaining('Check 5')]);
  });

  it('4: session-manager-plugin not on PATH: how to install it for this OS', async () => {
    const f = await failure({}, '/nonexistent:/also-not');
    expect(f.message).toContain('check 4 of 5 failed: session-manager-plugin is not installed here');
    expect(f.hint).toContain('sudo dpkg -i session-manager-plugin.deb');
  });

  it('5: the caller may not ecs:ExecuteCommand: names it; a root caller is skipped, not failed', async () => {
    const f = await failure({ callerDenied: true });
    expect(f.message).toContain('check 5 of 5 failed: you (arn:aws:sts::123456789012:assumed-role/Operators/ana) may not ecs:ExecuteCommand on task');
    world({ caller: 'arn:aws:iam::123456789012:root' });
    const p = await prepareExec(env(), target, parseExecRequest({}, []));
    expect(p.checks.at(-1)).toMatchObject({ check: 'caller', result: 'skipped' });
  });
});

describe('exec: ExecuteCommand and the hand-off', () => {
  it('the plugin\'s arguments are the AWS CLI\'s: ECS\'s session JSON, region, StartSession, profile, the target, the endpoint', () => {
    expect(pluginArgs({ session: { sessionId: 's-1', streamUrl: 'wss://x', tokenValue: 't' }, region: 'eu-west-1', profile: 'ops', cluster: 'shop', taskId: ID, runtimeId: 'rt', endpoint: 'https://ecs.eu-west-1.amazonaws.com' })).toEqual([
      '{"sessionId":"s-1","streamUrl":"wss://x","tokenValue":"t"}',
      'eu-west-1',
      'StartSession',
      'ops',
      `{"Target":"ecs:shop_${ID}_rt"}`,
      'https://ecs.eu-west-1.amazonaws.com',
    ]);
  });

  it('ExecuteCommand is interactive, on the checked task and container; the endpoint is the one the SDK resolves for the region', async () => {
    world();
    const e: ExecEnv = { ...env(), aws: new AwsClients({ region: 'eu-west-1' }), region: 'eu-west-1' };
    const p = await prepareExec(e, target, parseExecRequest({}, ['ls', '-la']));
    ecs.on(ExecuteCommandCommand).resolves({ clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/shop', taskArn: TASK, session: { sessionId: 's-1', streamUrl: 'wss://x', tokenValue: 't' } });
    const s = await startExec(e, target, p, parseExecRequest({}, ['ls', '-la']), '');
    expect(ecs.commandCalls(ExecuteCommandCommand)[0]!.args[0].input).toEqual({ cluster: 'shop', task: TASK, container: 'app', command: 'ls -la', interactive: true });
    expect(s).toMatchObject({ cluster: 'shop', taskId: ID, runtimeId: `${ID}-1234567890`, endpoint: 'https://ecs.eu-west-1.amazonaws.com', profile: '' });
  });

  it('TargetNotConnectedException (an agent that lost Systems Manager) is said with its fix', async () => {
    world();
    const p = await prepareExec(env(), target, parseExecRequest({}, []));
    const err = await sdkError(ECSClient, ExecuteCommandCommand, 'TargetNotConnectedException', 'The execution failed because the target is not connected.');
    expect(isExecTargetNotConnected(err)).toBe(true);
    ecs.on(ExecuteCommandCommand).rejects(err);
    await expect(startExec(env(), target, p, parseExecRequest({}, []), '')).rejects.toMatchObject({ code: 'AWS', message: expect.stringContaining('TargetNotConnectedException'), hint: expect.stringContaining('ecs-wizard deploy shop --force') });
    // (ECS's own refusal after the checks passed, an agent that just went away, is said with ECS's words)
    const refused = await sdkError(ECSClient, ExecuteCommandCommand, 'InvalidParameterException', 'The execute command failed because execute command was not enabled when the task was run or the execute command agent isn’t running.');
    expect(isExecuteCommandRefused(refused)).toBe(true);
    ecs.on(ExecuteCommandCommand).rejects(refused);
    await expect(startExec(env(), target, p, parseExecRequest({}, []), '')).rejects.toMatchObject({ code: 'AWS', message: 'ECS refused the command: The execute command failed because execute command was not enabled when the task was run or the execute command agent isn’t running.' });
  });

  it('the caller a simulation names: an assumed role\'s role, a user as it is; root and federated users none', () => {
    expect(principalOf('arn:aws:sts::123456789012:assumed-role/Operators/ana@example.com')).toBe('arn:aws:iam::123456789012:role/Operators');
    expect(principalOf('arn:aws-cn:sts::123456789012:assumed-role/Ops/x')).toBe('arn:aws-cn:iam::123456789012:role/Ops');
    expect(principalOf('arn:aws:iam::123456789012:user/ana')).toBe('arn:aws:iam::123456789012:user/ana');
    expect(principalOf('arn:aws:iam::123456789012:root')).toBeUndefined();
    expect(principalOf('arn:aws:sts::123456789012:federated-user/ana')).toBeUndefined();
  });

  it('finds the plugin only as an executable file on PATH; says how to install it on each OS', () => {
    const dir = tempDir('smp-noexec-');
    writeFileSync(path.join(dir, 'session-manager-plugin'), 'not executable', { mode: 0o644 });
    expect(findPlugin({ PATH: dir }, 'linux')).toBeUndefined();
    expect(findPlugin({ PATH: `${dir}:${pluginDir}` }, 'linux')).toBe(path.join(pluginDir, 'session-manager-plugin'));
    expect(installHint('linux', 'x64')).toContain('https://s3.amazonaws.com/session-manager-downloads/plugin/latest/linux_64bit/session-manager-plugin.rpm');
    expect(installHint('linux', 'arm64')).toContain('/ubuntu_arm64/session-manager-plugin.deb');
    expect(installHint('darwin', 'arm64')).toContain('/mac_arm64/session-manager-plugin.pkg');
    expect(installHint('win32', 'x64')).toContain('/windows/SessionManagerPluginSetup.exe');
  });
});
