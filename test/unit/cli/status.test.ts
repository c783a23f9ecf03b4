import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { AwsClients } from '../../../src/aws/clients.js';
import { judge, formatStatus, type StatusReport } from '../../../src/cli/commands/status.js';
import { inspectLive, type LiveFacts } from '../../../src/live/inspect.js';
import type { ResourceRecord } from '../../../src/engine/types.js';

const present = (stepId: string, id = stepId) => ({ stepId, id, recorded: 'created' as const, live: 'present' as const });

function healthyFacts(): LiveFacts {
  return {
    resources: [present('load-balancer', 'shop-web-alb'), present('service', 'shop-web')],
    loadBalancer: { state: 'active', dnsName: 'shop-web-alb-1.example' },
    targets: [{ id: 'i-1', port: 32768, state: 'healthy' }],
    autoScalingGroup: { name: 'shop-web-ecs', desired: 1, inService: 1, instances: 1 },
    containerInstances: { cluster: 'shop-web', registered: 1, active: 1, ec2InstanceIds: ['i-1'] },
    service: { name: 'shop-web', desired: 1, running: 1, pending: 0, events: [] },
  };
}

describe('status verdict', () => {
  it('is healthy when everything is present and running', () => {
    expect(judge(healthyFacts())).toEqual({ health: 'healthy', verdict: 'healthy' });
  });

  it('names what is missing first, then what is degraded', () => {
    // GIVEN the service gone and no container instances
    const f = healthyFacts();
    f.resources[1] = { ...present('service', 'shop-web'), live: 'missing' };
    delete f.service;
    f.containerInstances = { cluster: 'shop-web', registered: 0, active: 0, ec2InstanceIds: [] };
    // WHEN judged
    const v = judge(f);
    // THEN
    expect(v.health).toBe('missing');
    expect(v.verdict).toBe('missing: ECS service shop-web; degraded: no container instances registered in cluster shop-web');
  });

  it('calls a half-finished create incomplete and running < desired degraded', () => {
    const f = healthyFacts();
    f.resources.push({ stepId: 'listener', id: 'listener', recorded: 'creating', live: 'unknown' });
    expect(judge(f).health).toBe('incomplete');
    const g = healthyFacts();
    g.service = { name: 'shop-web', desired: 2, running: 1, pending: 1, events: [] };
    expect(judge(g).verdict).toBe('degraded: service shop-web: 1 of 2 tasks running; service shop-web: 1 task pending');
  });

  it('blames missing container instances only when the service is short of tasks', () => {
    // GIVEN two instances in service, one registered, and the service running all its tasks
    const f = healthyFacts();
    f.autoScalingGroup = { name: 'shop-web-ecs', desired: 2, inService: 2, instances: 2 };
    f.containerInstances = { cluster: 'shop-web', registered: 1, active: 1, ec2InstanceIds: ['i-1'] };
    expect(judge(f).health).toBe('healthy');
    // WHEN the service is short of tasks THEN the unregistered instance is named as part of the problem
    f.service = { name: 'shop-web', desired: 2, running: 1, pending: 0, events: [] };
    expect(judge(f).verdict).toBe('degraded: 1 of 2 instances registered in cluster shop-web; service shop-web: 1 of 2 tasks running');
  });

  it('counts every unhealthy target, whatever its port (the group no longer registers instances, so none is excused)', () => {
    // GIVEN a healthy task, and a target failing its checks on port 80
    const f = healthyFacts();
    f.targets = [{ id: 'i-1', port: 32768, state: 'healthy' }, { id: 'i-1', port: 80, state: 'unhealthy' }];
    // THEN the stack is degraded
    expect(judge(f).verdict).toBe('degraded: 1 of 2 targets unhealthy');
    // AND so it is for a failing task on a dynamic port
    f.targets = [{ id: 'i-1', port: 32768, state: 'healthy' }, { id: 'i-1', port: 32771, state: 'unhealthy' }];
    expect(judge(f).verdict).toBe('degraded: 1 of 2 targets unhealthy');
  });

  it('renders text without escape codes when colour is off', () => {
    const f = healthyFacts();
    const report: StatusReport = { ...f, stack: 'shop-web', region: 'us-east-1', stateFile: 'x', updatedAt: '2025-01-01T00:00:00.000Z', health: 'healthy', ok: true, verdict: 'healthy', url: 'http://shop-web-alb-1.example' };
    const text = formatStatus(report, false);
    expect(text).not.toContain('\x1b');
    expect(text).toContain('Load balancer: active  http://shop-web-alb-1.example');
    expect(text.trim().endsWith('✔ healthy')).toBe(true);
  });
});

describe('inspectLive', () => {
  const ecs = mockClient(ECSClient);
  beforeEach(() => ecs.reset());

  it('reports a service AWS calls MISSING as missing, and keeps the latest five events of a live one', async () => {
    // GIVEN a recorded service that DescribeServices no longer knows
    ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ arn: 'shop-web', reason: 'MISSING' }] });
    const rec: ResourceRecord = { stepId: 'service', status: 'created', outputs: { serviceName: 'shop-web', clusterName: 'shop-web', serviceArn: 'arn' }, updatedAt: '' };
    // WHEN inspected
    const facts = await inspectLive(new AwsClients({ region: 'us-east-1' }), [rec]);
    // THEN
    expect(facts.resources).toEqual([{ stepId: 'service', id: 'shop-web', recorded: 'created', live: 'missing', detail: undefined }]);

    // GIVEN it is back with 7 events
    const events = Array.from({ length: 7 }, (_, i) => ({ id: String(i), message: `event ${i}`, createdAt: new Date(Date.UTC(2025, 0, 1, 0, 0, 7 - i)) }));
    ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'shop-web', status: 'ACTIVE', desiredCount: 2, runningCount: 2, pendingCount: 0, events }] });
    const again = await inspectLive(new AwsClients({ region: 'us-east-1' }), [rec]);
    expect(again.resources[0]!.live).toBe('present');
    expect(again.service?.events.map((e) => e.message)).toEqual(['event 0', 'event 1', 'event 2', 'event 3', 'event 4']);
  });
});
