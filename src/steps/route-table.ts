import { notYet, waitNotYet } from './stub.js';

export const routeTableStep = notYet('route-table', 'Route table', ['vpc', 'subnets', 'internet-gateway']);
