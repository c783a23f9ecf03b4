import { notYet, waitNotYet } from './stub.js';

export const listenerStep = notYet('listener', 'Listener', ['load-balancer', 'target-group']);
