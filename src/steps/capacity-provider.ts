import { notYet, waitNotYet } from './stub.js';

export const capacityProviderStep = notYet('capacity-provider', 'Capacity provider', ['auto-scaling-group', 'cluster']);
