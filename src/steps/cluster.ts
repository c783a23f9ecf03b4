import { notYet, waitNotYet } from './stub.js';

export const clusterStep = notYet('cluster', 'ECS cluster', []);
export const containerInstancesStep = waitNotYet('container-instances', 'Container instances registered', ['cluster', 'auto-scaling-group']);
