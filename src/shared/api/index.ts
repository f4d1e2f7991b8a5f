export * from './common';
export * from './resources';
export * from './events';
export * from './account';
