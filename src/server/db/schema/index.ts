export * from './audit';
export * from './cooling';
export * from './devices';
export * from './inventory';
export * from './network';
export * from './power';
export * from './system';
