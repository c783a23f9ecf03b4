import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { DescribeRepositoriesCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { startMoto, type Moto } from '../support/moto.js';
import { startStrictAws, type StrictAws } from '../support/strict-aws.js';
import { wireJson } from '../support/aws-wire.js';
import { tempDir } from '../support/stack.js';
import { cliEnv, runCli } from '../e2e/cli.js';

/**
 * A stack whose service runs from its own, new ECR repository: created empty, so the service
 * waits at 0 tasks (scaling minimum 0) and create and status say exactly how to push; after a
 * push, rerunning create starts it at the answers' count. A failed deployment gets a new one. And
 * an account whose ECS still refuses service tags (old ARN format). The built CLI against moto,
 * and the strict-AWS proxy where AWS answers what moto cannot.
 */
const STACK = 'first-image';
const REPO = 'first-image-app';
let moto: Moto;
let home: string;
let dir: string;
let answersFile: string;
const cfg = () => ({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });

beforeAll(async () => {
  moto = await startMoto();
  home = tempDir('first-image-home-');
  dir = tempDir('first-image-');
  answersFile = path.join(dir, 'answers.json');
  writeFileSync(answersFile, JSON.stringify({ stack: STACK, region: 'us-east-1', service: { ecrRepository: REPO, desiredCount: 2 }, scaling: { service: { minCount: 1, maxCount: 6 } } }));
}, 60_000);
afterAll(async () => {
  await moto?.stop();
});

const cli = (args: string[], endpoint = moto.endpoint) =>
  runCli([...args, '--state-dir', dir], { env: cliEnv(moto.env({ AWS_ENDPOINT_URL: endpoint }), home), cwd: dir });

async function service() {
  const ecs = new ECSClient(cfg());
  try {
    return (await ecs.send(new DescribeServicesCommand({ cluster: STACK, services: [STACK] }))).services![0]!;
  } finally {
    ecs.destroy();
  }
}

async function scalingMin(): Promise<number | undefined> {
  const aas = new ApplicationAutoScalingClient(cfg());
  try {
    return (await aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [`service/${STACK}/${STACK}`] }))).ScalableTargets?.[0]?.MinCapacity;
  } finally {
    aas.destroy();
  }
}

describe('a service whose ECR repository is still empty', () => {
  let uri = '';

  it('is created with 0 tasks and scaling minimum 0, and create prints the exact push commands and how to start it', async () => {
    // WHEN create makes the stack with a new repository
    const r = await cli(['create', '--answers', answersFile, '--yes', '--no-wait', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const ecr = new ECRClient(cfg());
    uri = (await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [REPO] }))).repositories![0]!.repositoryUri!;
    ecr.destroy();
    const registry = uri.split('/')[0];
    // THEN the service waits at 0 tasks and scaling will not start any
    expect((await service()).desiredCount).toBe(0);
    expect(await scalingMin()).toBe(0);
    // AND the result says so, with the exact commands
    expect(JSON.parse(r.stdout).waitingForImage).toEqual({
      image: `${uri}:latest`,
      commands: [
        `aws ecr get-login-password --region us-east-1 | docker login --username AWS --password-stdin ${registry}`,
        `docker build -t ${uri}:latest .`,
        `docker push ${uri}:latest`,
        `ecs-wizard create --answers ${answersFile}`,
      ],
    });
    expect(r.stderr).toContain(`The service runs 0 tasks: ${uri}:latest has not been pushed yet.`);
  });

  it('status says what is missing and prints the same commands', async () => {
    const json = await cli(['status', STACK, '--output', 'json']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report.verdict).toContain(`no image ${uri}:latest pushed yet: the service runs 0 tasks`);
    expect(report.image).toEqual({ uri: `${uri}:latest`, present: false });
    expect(report.waitingForImage.commands.slice(0, 3)).toEqual([expect.stringContaining('docker login'), `docker build -t ${uri}:latest .`, `docker push ${uri}:latest`]);
    const text = await cli(['status', STACK]);
    expect(text.stdout).toContain(`The service runs 0 tasks until ${uri}:latest exists. Push it:\n  aws ecr get-login-password --region us-east-1 | docker login`);
    expect(text.stdout).toContain(`  docker push ${uri}:latest\nthen start the service (it goes to the answers' desired count):\n  ecs-wizard create --answers <your answers file>`);
  });

  it('after a push, rerunning create starts the service at the answers\' count and restores the scaling minimum', async () => {
    // GIVEN the image pushed
    const ecr = new ECRClient(cfg());
    const manifest = { schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 1, digest: `sha256:${'a'.repeat(64)}` }, layers: [] };
    await ecr.send(new PutImageCommand({ repositoryName: REPO, imageTag: 'latest', imageManifest: JSON.stringify(manifest) }));
    ecr.destroy();
    // WHEN create runs again with the same answers
    const r = await cli(['create', '--answers', answersFile, '--yes', '--no-wait', '--output', 'json']);
    // THEN the service goes to 2 tasks, scaling back to its minimum of 1, and nothing is left to push
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).waitingForImage).toBeUndefined();
    expect((await service()).desiredCount).toBe(2);
    expect(await scalingMin()).toBe(1);
  });

  it('a service whose last deployment FAILED gets a new deployment on the next create', async () => {
    // GIVEN AWS reporting the service's deployment as FAILED (moto's never fail)
    const aws: StrictAws = await startStrictAws(moto.endpoint);
    const updates: Record<string, unknown>[] = [];
    try {
      aws.rules([
        {
          name: 'deployment-failed',
          service: 'ecs',
          operation: 'DescribeServices',
          // AWS keeps reporting the FAILED deployment until a new one is started (the task
          // definition step also looks at the service now, before the service step does).
          when: () => !updates.some((u) => u.forceNewDeployment === true),
          respond: async (_req, ctx) => {
            const answer = await ctx.forward();
            const body = JSON.parse(answer.body) as { services: { deployments: { status: string; rolloutState?: string; rolloutStateReason?: string }[] }[] };
            for (const d of body.services[0]!.deployments) if (d.status === 'PRIMARY') Object.assign(d, { rolloutState: 'FAILED', rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.' });
            return wireJson('ecs', body);
          },
        },
        {
          name: 'see-update',
          service: 'ecs',
          operation: 'UpdateService',
          when: (req) => {
            updates.push(req.json ?? {});
            return false;
          },
        },
      ]);
      // WHEN create runs again
      const r = await cli(['create', '--answers', answersFile, '--yes', '--no-wait', '--output', 'json'], aws.endpoint);
      // THEN it forced a new deployment, once
      expect(r.code, r.stderr).toBe(0);
      expect(aws.fired('deployment-failed')).toBeGreaterThan(0);
      expect(updates).toEqual([expect.objectContaining({ cluster: STACK, service: STACK, forceNewDeployment: true })]);
    } finally {
      await aws.stop();
    }
  });
});

describe('an account still on the old ECS ARN format', () => {
  it('creates the service without ECS tags and warns, instead of failing', async () => {
    // GIVEN ECS refusing tags on services, as it does for such an account
    const aws: StrictAws = await startStrictAws(moto.endpoint);
    try {
      aws.rule({
        name: 'old-arn-format',
        service: 'ecs',
        operation: 'CreateService',
        when: (req) => Array.isArray(req.json?.tags) || req.json?.propagateTags !== undefined || req.json?.enableECSManagedTags !== undefined,
        error: { code: 'InvalidParameterException', message: 'The new ARN and resource ID format must be enabled to add tags to the service. Opt in to the new format and try again.' },
      });
      const file = path.join(dir, 'old-arns-answers.json');
      writeFileSync(file, JSON.stringify({ stack: 'old-arns', region: 'us-east-1', network: { vpcCidr: '10.81.0.0/16', subnetCidrs: ['10.81.0.0/24', '10.81.1.0/24'] } }));
      // WHEN create runs
      const r = await cli(['create', '--answers', file, '--yes', '--no-wait', '--output', 'json'], aws.endpoint);
      // THEN it finished, the refusal was met once, the service exists without tags, and the user was told
      expect(r.code, r.stderr).toBe(0);
      expect(aws.fired('old-arn-format')).toBe(1);
      expect(JSON.parse(r.stdout).resources.service).toMatchObject({ serviceName: 'old-arns', tagged: false });
      const ecs = new ECSClient(cfg());
      const svc = (await ecs.send(new DescribeServicesCommand({ cluster: 'old-arns', services: ['old-arns'], include: ['TAGS'] }))).services![0]!;
      ecs.destroy();
      expect(svc.status).toBe('ACTIVE');
      expect(svc.tags ?? []).toEqual([]);
      expect(r.stderr).toContain('was created without tags: ECS refuses tags on services while the account uses the old ARN format');
    } finally {
      await aws.stop();
    }
  });
});
