import { notYet, waitNotYet } from './stub.js';

export const serviceStep = notYet('service', 'ECS service', ['cluster', 'task-definition', 'listener', 'capacity-provider', 'auto-scaling-group']);
export const serviceStableStep = waitNotYet('service-stable', 'Service stable', ['service']);
