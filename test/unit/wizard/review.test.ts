import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatherAnswers } from '../../../src/wizard/ask.js';
import { readAnswersFile, saveAnswersFile, validateAnswers } from '../../../src/wizard/answers-file.js';
import { answerWarnings, buildReviewPlan } from '../../../src/wizard/plan.js';
import { renderPlan } from '../../../src/wizard/review.js';
import type { Account } from '../../../src/wizard/account.js';
import { scriptedPrompter } from './scripted-prompter.js';

const account: Account = {
  region: 'us-east-1',
  listVpcs: async () => [],
  listSubnets: async () => [],
  zonesOffering: async () => ['us-east-1a', 'us-east-1b'],
};

describe('review plan', () => {
  it('warns about SSH open to the world and SSH without a key pair, and about nothing for the defaults', () => {
    expect(answerWarnings(validateAnswers({ stack: 'shop-web' }))).toEqual([]);
    const open = answerWarnings(validateAnswers({ stack: 'shop-web', instances: { sshCidr: '0.0.0.0/0' } }));
    expect(open).toHaveLength(2);
    expect(open[0]).toMatch(/^SSH is open to the whole internet/);
    expect(open[1]).toMatch(/instances\.keyName is not set/);
    expect(answerWarnings(validateAnswers({ stack: 'shop-web', instances: { sshCidr: '203.0.113.7/32', keyName: 'ops' } }))).toEqual([]);
  });

  it('a task role: shown with what it may do; one the user brings outside /ecs-wizard/ is warned about (the operator policy cannot pass it)', () => {
    const mine = validateAnswers({ stack: 'shop-web', service: { taskRoleArn: 'arn:aws:iam::123456789012:role/teams/shop-app' } });
    expect(answerWarnings(mine)).toEqual([expect.stringMatching(/^service\.taskRoleArn is under the IAM path \/teams\/: the documented operator policy .* passes only roles under \/ecs-wizard\//)]);
    expect(renderPlan(buildReviewPlan(mine, { region: 'us-east-1' }))).toContain('warning: service.taskRoleArn is under the IAM path /teams/');
    expect(answerWarnings(validateAnswers({ stack: 'shop-web', service: { taskRoleArn: 'arn:aws:iam::123456789012:role/shop-app' } }))[0]).toContain('under the IAM path /:');
    expect(answerWarnings(validateAnswers({ stack: 'shop-web', service: { taskRoleArn: 'arn:aws:iam::123456789012:role/ecs-wizard/shop-app' } }))).toEqual([]);
    const made = renderPlan(buildReviewPlan(validateAnswers({ stack: 'shop-web', service: { taskRolePolicies: ['arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess'] } }), { region: 'us-east-1' }));
    expect(made).toContain('task role shop-web-ecs-task (AmazonS3ReadOnlyAccess; within the permissions boundary)');
    expect(made).toMatch(/create\s+Task IAM role\s+shop-web-ecs-task/);
  });

  it('says who can reach what, and shows SSH only when asked for, with a warning for 0.0.0.0/0', () => {
    // GIVEN default answers
    const plain = renderPlan(buildReviewPlan(validateAnswers({ stack: 'shop-web' }), { region: 'us-east-1', amiId: 'ami-0123456789abcdef0' }));
    // THEN the ALB is open to the internet, instances only to the ALB, no SSH
    expect(plain).toContain('ALB :80 from 0.0.0.0/0 (anyone on the internet)');
    expect(plain).toContain('instances: ports 32768-65535 from the ALB only');
    expect(plain).not.toContain('SSH');
    expect(plain).toContain('AMI ami-0123456789abcdef0');
    expect(plain).toMatch(/create\s+Application load balancer\s+shop-web-alb/);
    // WHEN SSH is open to everyone
    const ssh = renderPlan(buildReviewPlan(validateAnswers({ stack: 'shop-web', instances: { keyName: 'ops', sshCidr: '0.0.0.0/0' } }), { region: 'us-east-1' }));
    expect(ssh).toContain('instances: SSH :22 from 0.0.0.0/0 (anyone on the internet)');
    expect(ssh).toMatch(/warning: SSH is open to the whole internet/);
  });

  it('shows the architecture the instance type runs next to the AMI', () => {
    const plan = buildReviewPlan(validateAnswers({ stack: 'shop-web', instances: { instanceType: 't4g.small' } }), { region: 'us-east-1', amiId: 'ami-0a4a4a4a4a4a4a4a4', architecture: 'arm64' });
    expect(plan.instances).toMatchObject({ instanceType: 't4g.small', architecture: 'arm64', ami: 'ami-0a4a4a4a4a4a4a4a4' });
    expect(renderPlan(plan)).toContain('AMI ami-0a4a4a4a4a4a4a4a4 (arm64)');
  });

  it('marks an existing VPC and subnets as reused and never as created', () => {
    const plan = buildReviewPlan(validateAnswers({ stack: 'r', network: { vpcId: 'vpc-0abc1234', subnetIds: ['subnet-0abc1234', 'subnet-0def5678'] } }), { region: 'us-east-1' });
    expect(plan.resources.filter((r) => r.action === 'reuse').map((r) => r.stepId)).toEqual(['vpc', 'subnets']);
    expect(plan.resources.map((r) => r.stepId)).not.toContain('internet-gateway');
    expect(plan.network.vpc).toBe('existing vpc-0abc1234');
  });

  it('shows dry-run status per resource', () => {
    const plan = buildReviewPlan(validateAnswers({ stack: 'd' }), {
      region: 'us-east-1',
      results: [
        { stepId: 'vpc', title: 'VPC', outcome: 'exists', durationMs: 1 },
        { stepId: 'subnets', title: 'Subnets', outcome: 'would-create', durationMs: 1 },
      ],
    });
    expect(plan.resources.find((r) => r.stepId === 'vpc')?.status).toBe('exists');
    expect(renderPlan(plan)).toMatch(/would create\s+Subnets/);
  });

  it('round-trips through --save-answers: the replay with --yes gives back every answer as typed', async () => {
    // GIVEN an interactive run with a few non-default answers
    const prompter = scriptedPrompter([
      ['Stack name', 'round-trip'], ['region', undefined], ['Network', undefined], ['VPC CIDR', '10.7.0.0/16'], ['subnet CIDRs', undefined],
      ['HTTPS?', undefined], ['listener port', 8080], ['reach the load balancer', '203.0.113.0/24'], ['Health check', undefined], ['instance type', 't3.small'],
      ['Availability zones', undefined], ['Where do the instances run', undefined], ['launched', undefined], ['Spot capacity', undefined], ['desired capacity', 1], ['Minimum instances', undefined], ['Maximum instances', 3],
      ['key pair', ''], ['Container image', 'httpd:2.4'], ['Container port', undefined], ['CPU units', 512], ['memory (MiB)', 1024],
      ['desired count', 1], ['CloudWatch Logs', undefined], ['how many days', undefined], ['Container Insights', undefined], ['Add another service', undefined], ['automatically', undefined], ['Minimum tasks', undefined], ['Maximum tasks', 3], ['which metrics', ['cpu', 'requests']],
      ['Target average CPU', 55], ['requests per task', 200], ['How instances scale', false], ['instance CPU', 70],
    ]);
    const first = validateAnswers(await gatherAnswers({ file: {}, prompter, yes: false, account: async () => account, advanced: true }));
    const file = join(mkdtempSync(join(tmpdir(), 'answers-')), 'saved.yaml');
    // WHEN the answers are saved and replayed non-interactively
    await saveAnswersFile(file, first);
    const replay = validateAnswers(await gatherAnswers({ file: await readAnswersFile(file), yes: true, account: async () => account }));
    // THEN every answer given differently from its default is there after the replay, as typed
    const given = {
      stack: 'round-trip',
      network: { vpcCidr: '10.7.0.0/16' },
      loadBalancer: { listenerPort: 8080, ingressCidrs: ['203.0.113.0/24'] },
      instances: { instanceType: 't3.small', desiredCapacity: 1, maxSize: 3 },
      service: { image: 'httpd:2.4', cpu: 512, memory: 1024, desiredCount: 1 },
      scaling: { service: { maxCount: 3, targetCpuPercent: 55, requestsPerTarget: 200 }, instances: { managed: false, targetCpuPercent: 70 } },
    };
    expect(first).toMatchObject(given);
    expect(replay).toMatchObject(given);
    // AND nothing else changed on the way, and strict mode (no --yes) finds nothing missing either
    expect(replay).toEqual(first);
    await expect(gatherAnswers({ file: await readAnswersFile(file), yes: false, account: async () => account })).resolves.toEqual(await readAnswersFile(file));
  });
});
