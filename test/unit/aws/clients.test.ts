import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CreateVpcCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateClusterCommand, DescribeClustersCommand, ECSClient } from '@aws-sdk/client-ecs';
import { AmbiguousResponse, AwsClients, isReadOperation, type AwsCall, type AwsTarget } from '../../../src/aws/clients.js';
import { isWizardError } from '../../../src/errors.js';
import { VERSION } from '../../../src/version.js';
import { sdkError } from '../../support/aws-wire.js';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe('AWS client factory', () => {
  it('builds one client per class, pointed at the endpoint, with our user agent, and reports each call', async () => {
    // GIVEN a loopback server that answers like EC2
    let headers: IncomingHttpHeaders = {};
    const server = createServer((req, res) => {
      headers = req.headers;
      res.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': 'req-1' });
      res.end('<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>req-1</requestId><vpcSet/></DescribeVpcsResponse>');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const calls: AwsCall[] = [];
    const aws = new AwsClients({ region: 'eu-west-1', endpointUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, onCall: (c) => calls.push(c) });
    // WHEN a call is made
    const ec2 = aws.get(EC2Client);
    expect(aws.get(EC2Client)).toBe(ec2);
    await ec2.send(new DescribeVpcsCommand({}));
    server.close();
    aws.destroy();
    // THEN it reached the endpoint with our user agent, and the call was reported
    expect(String(headers['user-agent']) + String(headers['x-amz-user-agent'])).toContain(`ecs-wizard/${VERSION}`);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ service: 'EC2', operation: 'DescribeVpcs', requestId: 'req-1' });
    expect(await ec2.config.region()).toBe('eu-west-1');
  });

  it('preflight: no region is an input error that says how to set one', async () => {
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    const err = await new AwsClients({}).preflight(EC2Client).catch((e: unknown) => e);
    expect(isWizardError(err, 'CREDENTIALS')).toBe(true);
    expect((err as { hint: string }).hint).toContain('--region');
  });

  it('preflight: no credentials is an input error that says how to set them', async () => {
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    process.env.AWS_PROFILE = 'ecs-wizard-test-nonexistent';
    const err = await new AwsClients({ region: 'us-east-1' }).preflight(EC2Client).catch((e: unknown) => e);
    expect(isWizardError(err, 'CREDENTIALS')).toBe(true);
    expect((err as { hint: string }).hint).toMatch(/aws configure|--profile/);
  });

  it('tells reads from mutations by how the operation name starts', () => {
    for (const read of ['DescribeVpcs', 'ListServices', 'GetRole', 'BatchGetImage', 'SearchResources', 'LookupEvents', 'HeadBucket', 'HeadObject']) expect(isReadOperation(read), read).toBe(true);
    // A read word inside a mutating name does not make it a read.
    for (const write of ['CreateVpc', 'DeleteVpc', 'PutScalingPolicy', 'RegisterTaskDefinition', 'CreateListener', 'DeleteTargetGroup', 'UpdateService']) expect(isReadOperation(write), write).toBe(false);
  });
});

/** A loopback server that answers like EC2 and records the Action of every request that reaches it. */
async function ec2Server(): Promise<{ endpoint: string; actions: string[]; close(): void }> {
  const actions: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const action = new URLSearchParams(body).get('Action') ?? '?';
      actions.push(action);
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        action === 'CreateVpc'
          ? '<CreateVpcResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><vpc><vpcId>vpc-0aaaaaaaaaaaaaaa1</vpcId></vpc></CreateVpcResponse>'
          : '<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><vpcSet/></DescribeVpcsResponse>',
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, actions, close: () => server.close() };
}

describe('read-only clients (dry run): the mutation boundary', () => {
  it('refuses a mutating call before it leaves the process, and lets reads through', async () => {
    // GIVEN a read-only factory pointed at a server that records what reaches it
    const server = await ec2Server();
    const aws = new AwsClients({ region: 'us-east-1', endpointUrl: server.endpoint, readOnly: true, maxAttempts: 1 });
    // WHEN a read and a mutation are sent
    await aws.get(EC2Client).send(new DescribeVpcsCommand({}));
    const err = await aws.get(EC2Client).send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' })).catch((e: unknown) => e);
    aws.destroy();
    server.close();
    // THEN only the read reached AWS; the mutation was refused as a dry run, naming the call
    expect(server.actions).toEqual(['DescribeVpcs']);
    expect(isWizardError(err, 'DRY_RUN')).toBe(true);
    expect((err as Error).message).toBe('Dry run: CreateVpc was not called (it would change AWS).');
  });

  it('a refused call is still logged (--verbose), as failed, and the refusal reaches the caller', async () => {
    // GIVEN a read-only factory that logs every call, and a server that records what reaches it
    const server = await ec2Server();
    const calls: AwsCall[] = [];
    const aws = new AwsClients({ region: 'us-east-1', endpointUrl: server.endpoint, readOnly: true, maxAttempts: 1, onCall: (c) => calls.push(c) });
    // WHEN a mutation is sent
    const err = await aws.get(EC2Client).send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' })).catch((e: unknown) => e);
    aws.destroy();
    server.close();
    // THEN nothing reached AWS, the caller got the dry run's refusal, and the log shows the call as refused
    expect(server.actions).toEqual([]);
    expect(isWizardError(err, 'DRY_RUN')).toBe(true);
    expect(calls.map(({ durationMs, ...c }) => c)).toEqual([{ service: 'EC2', operation: 'CreateVpc', requestId: undefined, error: (err as Error).name }]);
  });

  it('is the guard that refuses: the same calls from an ordinary factory both reach AWS', async () => {
    // GIVEN the same server and an ordinary factory  WHEN the same two calls are sent
    const server = await ec2Server();
    const aws = new AwsClients({ region: 'us-east-1', endpointUrl: server.endpoint, maxAttempts: 1 });
    await aws.get(EC2Client).send(new DescribeVpcsCommand({}));
    const created = await aws.get(EC2Client).send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    aws.destroy();
    server.close();
    // THEN both reached it
    expect(server.actions).toEqual(['DescribeVpcs', 'CreateVpc']);
    expect(created.Vpc?.VpcId).toBe('vpc-0aaaaaaaaaaaaaaa1');
  });
});

/**
 * Answers the first `times` attempts of every call with `error` inside the SDK's retry loop (where
 * the wire would), and every later attempt with `output`, without any network.
 */
function scripted(error: () => Promise<unknown>, times: number, output: object): { attempts: number; middleware: NonNullable<AwsTarget['middleware']> } {
  const s = {
    attempts: 0,
    middleware: ((client) => {
      client.middlewareStack.add(
        () => async () => {
          s.attempts++;
          if (s.attempts <= times) throw await error();
          return { output: { $metadata: { httpStatusCode: 200, requestId: `ok-${s.attempts}` }, ...output }, response: {} };
        },
        { step: 'finalizeRequest', priority: 'low', name: 'scriptedAnswers', override: true },
      );
    }) as NonNullable<AwsTarget['middleware']>,
  };
  return s;
}

describe('throttling, as each protocol reports it', () => {
  // The factory's clients use the SDK's adaptive retry mode: a throttled call is sent again after a
  // back-off, and the caller sees only the answer that finally came. (Once throttled, the adaptive
  // mode waits up to 2 s for a send token: the cases run side by side, each with its own clients.)
  const cases = [
    ['EC2 RequestLimitExceeded (ec2 protocol, HTTP 503)', EC2Client, DescribeVpcsCommand, 'RequestLimitExceeded', { Vpcs: [] }],
    ['ELBv2 Throttling (query protocol)', ElasticLoadBalancingV2Client, DescribeLoadBalancersCommand, 'Throttling', { LoadBalancers: [] }],
    ['ECS ThrottlingException (JSON protocol)', ECSClient, DescribeClustersCommand, 'ThrottlingException', { clusters: [] }],
    ['ECS ThrottlingException on a create (refused, so safe to send again)', ECSClient, CreateClusterCommand, 'ThrottlingException', { cluster: { clusterName: 'c' } }],
  ] as const;

  it('a throttled call is sent again until AWS answers, and gives up after the attempts allowed', async () => {
    const outcomes = await Promise.all([
      ...cases.map(async ([what, Client, Command, code, output]) => {
        // GIVEN AWS that throttles the first attempt of a call, with the error the SDK makes of its wire answer
        const throttled = await sdkError(Client, Command, code, 'Rate exceeded');
        const script = scripted(async () => throttled, 1, output);
        const calls: AwsCall[] = [];
        const aws = new AwsClients({ region: 'us-east-1', middleware: script.middleware, onCall: (c) => calls.push(c) });
        // WHEN the call is made once
        const r = await aws.get(Client as never as typeof ECSClient).send(new (Command as never as typeof DescribeClustersCommand)({}));
        aws.destroy();
        return { what, code: (throttled as { Code?: string }).Code ?? throttled.name, attempts: script.attempts, answered: r, calls: calls.map((c) => c.error ?? 'ok') };
      }),
      (async () => {
        // GIVEN AWS that throttles every attempt, and a factory allowed 2 attempts
        const throttled = await sdkError(ECSClient, DescribeClustersCommand, 'ThrottlingException', 'Rate exceeded');
        const script = scripted(async () => throttled, Infinity, {});
        const aws = new AwsClients({ region: 'us-east-1', middleware: script.middleware, maxAttempts: 2 });
        const err = await aws.get(ECSClient).send(new DescribeClustersCommand({})).catch((e: unknown) => e);
        aws.destroy();
        return { what: 'throttled every time', code: 'ThrottlingException', attempts: script.attempts, answered: err, calls: [] };
      })(),
    ]);
    // THEN each throttled call was sent twice and the caller got AWS's answer, as one call without error
    expect(outcomes).toEqual([
      ...cases.map(([what, , , code, output]) => ({ what, code, attempts: 2, answered: expect.objectContaining(output), calls: ['ok'] })),
      // AND a call throttled every time fails with AWS's error after exactly the attempts allowed
      { what: 'throttled every time', code: 'ThrottlingException', attempts: 2, answered: expect.objectContaining({ name: 'ThrottlingException' }), calls: [] },
    ]);
  });
});

describe('a create whose answer was lost', () => {
  it('is not sent again by the SDK: it becomes an AmbiguousResponse for the step to look first', async () => {
    // GIVEN AWS whose answer to a create is an HTTP 500 (the create may or may not have happened)
    const lost = await sdkError(ECSClient, CreateClusterCommand, 'ServerException', 'Internal error', { status: 500 });
    const script = scripted(async () => lost, 1, { cluster: { clusterName: 'c' } });
    const aws = new AwsClients({ region: 'us-east-1', middleware: script.middleware });
    // WHEN the create is sent
    const err = await aws.get(ECSClient).send(new CreateClusterCommand({ clusterName: 'c' })).catch((e: unknown) => e);
    aws.destroy();
    // THEN it was sent once, and the caller learns that the outcome is unknown
    expect(script.attempts).toBe(1);
    expect(err).toBeInstanceOf(AmbiguousResponse);
    expect((err as AmbiguousResponse).operation).toBe('CreateCluster');
    expect((err as AmbiguousResponse).original).toBe(lost);
  });

  it('a read with the same failure is simply retried by the SDK', async () => {
    // GIVEN the same HTTP 500 on a read  WHEN it is sent  THEN the SDK retries it and succeeds
    const lost = await sdkError(ECSClient, DescribeClustersCommand, 'ServerException', 'Internal error', { status: 500 });
    const script = scripted(async () => lost, 1, { clusters: [] });
    const aws = new AwsClients({ region: 'us-east-1', middleware: script.middleware });
    await expect(aws.get(ECSClient).send(new DescribeClustersCommand({}))).resolves.toMatchObject({ clusters: [] });
    aws.destroy();
    expect(script.attempts).toBe(2);
  });

  it('a connection reset on a create is ambiguous too, and so is a request timeout', async () => {
    for (const failure of [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), Object.assign(new Error('timed out'), { name: 'TimeoutError' })]) {
      const script = scripted(async () => failure, 1, {});
      const aws = new AwsClients({ region: 'us-east-1', middleware: script.middleware });
      const err = await aws.get(ECSClient).send(new CreateClusterCommand({ clusterName: 'c' })).catch((e: unknown) => e);
      aws.destroy();
      expect(err, failure.message).toBeInstanceOf(AmbiguousResponse);
      expect(script.attempts).toBe(1);
    }
  });

  it('a create AWS refused (a 4xx) is neither retried nor ambiguous', async () => {
    const refused = await sdkError(ECSClient, CreateClusterCommand, 'InvalidParameterException', 'bad name');
    const script = scripted(async () => refused, 1, {});
    const aws = new AwsClients({ region: 'us-east-1', middleware: script.middleware });
    const err = await aws.get(ECSClient).send(new CreateClusterCommand({ clusterName: 'c' })).catch((e: unknown) => e);
    aws.destroy();
    expect(err).toBe(refused);
    expect(script.attempts).toBe(1);
  });
});

describe('the factory\'s settings and bookkeeping', () => {
  it('gives every client the profile, adaptive retries and 8 attempts unless told otherwise', async () => {
    const aws = new AwsClients({ region: 'us-east-1', profile: 'ops' });
    const c = aws.get(ECSClient);
    expect(c.config.profile).toBe('ops');
    expect(c.config.retryMode).toBe('adaptive');
    expect(await c.config.maxAttempts()).toBe(8);
    expect(await new AwsClients({ region: 'us-east-1', maxAttempts: 3 }).get(ECSClient).config.maxAttempts()).toBe(3);
    aws.destroy();
  });

  it('after destroy, a client is built anew', () => {
    const aws = new AwsClients({ region: 'us-east-1' });
    const first = aws.get(ECSClient);
    aws.destroy();
    expect(aws.get(ECSClient)).not.toBe(first);
    aws.destroy();
  });

  it('preflight gives the region; its errors say what is missing', async () => {
    expect(await new AwsClients({ region: 'eu-west-1' }).preflight(EC2Client)).toEqual({ region: 'eu-west-1' });
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    const noRegion = await new AwsClients({}).preflight(EC2Client).catch((e: unknown) => e);
    expect((noRegion as Error).message).toBe('No AWS region is set.');
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    process.env.AWS_PROFILE = 'ecs-wizard-test-nonexistent';
    const noCreds = await new AwsClients({ region: 'us-east-1' }).preflight(EC2Client).catch((e: unknown) => e);
    expect((noCreds as Error).message).toMatch(/^No AWS credentials could be found \(.+\)\.$/);
  });

  it('hands the test hook each client with its service name, and logs each call with its duration and, on failure, its code and request id', async () => {
    const services: string[] = [];
    const denied = await sdkError(ECSClient, DescribeClustersCommand, 'AccessDeniedException', 'no');
    const script = scripted(async () => denied, 1, {});
    const calls: AwsCall[] = [];
    const aws = new AwsClients({
      region: 'us-east-1',
      maxAttempts: 1,
      onCall: (c) => calls.push(c),
      middleware: (client, service) => {
        services.push(service);
        script.middleware(client, service);
      },
    });
    await aws.get(ECSClient).send(new DescribeClustersCommand({})).catch(() => undefined);
    await aws.get(ECSClient).send(new DescribeClustersCommand({}));
    aws.destroy();
    expect(services).toEqual(['ECS']);
    expect(calls.map(({ durationMs, ...c }) => c)).toEqual([
      { service: 'ECS', operation: 'DescribeClusters', requestId: (denied.$metadata as { requestId?: string }).requestId, error: 'AccessDeniedException' },
      { service: 'ECS', operation: 'DescribeClusters', requestId: 'ok-2' },
    ]);
    expect((denied.$metadata as { requestId?: string }).requestId).toMatch(/^strict-/);
    for (const c of calls) {
      expect(c.durationMs).toBeGreaterThanOrEqual(0);
      expect(c.durationMs).toBeLessThan(60_000);
    }
  });
});

describe('which calls are guarded against a lost answer', () => {
  const ops = {
    guarded: ['CreateVpc', 'RegisterTaskDefinition', 'RunInstances', 'AuthorizeSecurityGroupIngress', 'AssociateRouteTable', 'AttachInternetGateway', 'AttachLoadBalancerTargetGroups', 'AddRoleToInstanceProfile'],
    // Safe to send again: the SDK retries them.
    // (the last: a name that merely contains a guarded word is not guarded)
    retried: ['DescribeVpcs', 'ModifyVpcAttribute', 'PutRolePolicy', 'AttachRolePolicy', 'DeleteVpc', 'RunInstancesLater', 'UpdateService', 'ListCreateRequests'],
  };

  /** Sends `operation` once through a factory whose first attempt answers HTTP 500, and counts attempts. */
  async function once(operation: string, failure: unknown): Promise<{ attempts: number; error: unknown }> {
    const script = scripted(async () => failure, 1, {});
    const aws = new AwsClients({ region: 'us-east-1', middleware: script.middleware });
    const client = aws.get(ECSClient);
    // The guard reads the operation from the middleware context's command name: present the call as `operation`.
    client.middlewareStack.add((next, context) => (args) => (((context as { commandName?: string }).commandName = `${operation}Command`), next(args)), { step: 'initialize', priority: 'high', name: 'presentAs' });
    const error = await client.send(new DescribeClustersCommand({})).then(() => undefined, (e: unknown) => e);
    aws.destroy();
    return { attempts: script.attempts, error };
  }

  it('creates and other calls not safe to repeat: an answer lost to a 5xx is not sent again', async () => {
    const lost = await sdkError(ECSClient, DescribeClustersCommand, 'InternalFailure', 'oops', { status: 599 });
    for (const op of ops.guarded) {
      const r = await once(op, lost);
      expect([op, r.attempts, r.error instanceof AmbiguousResponse]).toEqual([op, 1, true]);
      expect((r.error as AmbiguousResponse).message).toBe(`${op}: the call failed after it may have reached AWS (InternalFailure: oops)`);
      expect((r.error as Error).name).toBe('AmbiguousResponse');
    }
  });

  it('the rest are retried by the SDK', async () => {
    const lost = await sdkError(ECSClient, DescribeClustersCommand, 'InternalFailure', 'oops', { status: 500 });
    for (const op of ops.retried) {
      const r = await once(op, lost);
      expect([op, r.attempts, r.error]).toEqual([op, 2, undefined]);
    }
  });

  it('a broken pipe or a connection timeout is ambiguous too; a user\'s abort and a 4xx are not', async () => {
    for (const failure of [Object.assign(new Error('broken pipe'), { code: 'EPIPE' }), Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }), Object.assign(new Error('slow'), { name: 'RequestTimeout' }), Object.assign(new Error('slow'), { name: 'RequestTimeoutException' })]) {
      expect((await once('CreateVpc', failure)).error, failure.message).toBeInstanceOf(AmbiguousResponse);
    }
    const abort = Object.assign(new Error('The operation was aborted'), { name: 'AbortError', $metadata: { httpStatusCode: 500 } });
    expect((await once('CreateVpc', abort)).error).toBe(abort);
    const bad = await sdkError(ECSClient, DescribeClustersCommand, 'InvalidParameterException', 'bad', { status: 400 });
    expect((await once('CreateVpc', bad)).error).toBe(bad);
    const other = await sdkError(ECSClient, DescribeClustersCommand, 'Weird', 'odd', { status: 600 });
    expect((await once('CreateVpc', other)).error).not.toBeInstanceOf(AmbiguousResponse);
  });
});

describe('AmbiguousResponse', () => {
  it('says which call, and what it failed with, even when that is not an error', () => {
    expect(new AmbiguousResponse('CreateVpc', Object.assign(new Error('socket hang up'), { name: 'Error' })).message).toBe('CreateVpc: the call failed after it may have reached AWS (Error: socket hang up)');
    expect(new AmbiguousResponse('CreateVpc', undefined).message).toBe('CreateVpc: the call failed after it may have reached AWS (error: )');
  });
});
