export * from './api.js';
export * from './ids.js';
export * from './payloads.js';
export * from './profiles.js';
export * from './registers.js';
export * from './socket.js';
export * from './topics.js';
