import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DescribeServicesCommand, DescribeTasksCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { AwsClients } from '../../../src/aws/clients.js';
import { describeServices, runningTasks } from '../../../src/live/ecs.js';

const ecs = mockClient(ECSClient);
afterEach(() => ecs.reset());
const clients = () => new AwsClients({ region: 'us-east-1', endpointUrl: 'http://127.0.0.1:9', maxAttempts: 1 });
const taskArn = (id: string) => `arn:aws:ecs:us-east-1:123456789012:task/shop/${id}`;

describe('live reads of ECS', () => {
  it('runningTasks: the tasks of that service that run now, newest first (pending and stopping ones left out)', async () => {
    // GIVEN a service with four tasks: two running (started at different times), one pending, one stopping
    ecs.on(ListTasksCommand, { cluster: 'shop', serviceName: 'shop--api', desiredStatus: 'RUNNING' }).resolves({ taskArns: ['a', 'b', 'c', 'd'].map(taskArn) });
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        { taskArn: taskArn('a'), lastStatus: 'RUNNING', startedAt: new Date('2024-05-01T10:00:00Z') },
        { taskArn: taskArn('b'), lastStatus: 'PENDING', createdAt: new Date('2024-05-01T12:00:00Z') },
        { taskArn: taskArn('c'), lastStatus: 'RUNNING', startedAt: new Date('2024-05-01T11:00:00Z') },
        { taskArn: taskArn('d'), lastStatus: 'DEACTIVATING', startedAt: new Date('2024-05-01T11:30:00Z') },
      ],
    });
    // WHEN
    const tasks = await runningTasks(clients(), 'shop', 'shop--api');
    // THEN the newest running one comes first
    expect(tasks.map((t) => t.taskArn)).toEqual([taskArn('c'), taskArn('a')]);
    expect(ecs.commandCalls(ListTasksCommand)[0]!.args[0].input).toMatchObject({ serviceName: 'shop--api', desiredStatus: 'RUNNING' });
  });

  it('runningTasks: none running is an empty list, and no DescribeTasks call', async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    expect(await runningTasks(clients(), 'shop', 'shop')).toEqual([]);
    expect(ecs.commandCalls(DescribeTasksCommand)).toHaveLength(0);
  });

  it('describeServices: 12 services in two calls (DescribeServices takes 10), INACTIVE ones left out', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `shop--s${i}`);
    ecs.on(DescribeServicesCommand).callsFake((input: { services: string[] }) => ({
      services: input.services.map((n) => ({ serviceName: n, status: n === 'shop--s3' ? 'INACTIVE' : 'ACTIVE', desiredCount: 1, runningCount: 1 })),
    }));
    const found = await describeServices(clients(), 'shop', names);
    const calls = ecs.commandCalls(DescribeServicesCommand).map((c) => c.args[0].input.services);
    expect(calls).toEqual([names.slice(0, 10), names.slice(10)]);
    expect([...found.keys()]).toEqual(names.filter((n) => n !== 'shop--s3'));
  });
});
