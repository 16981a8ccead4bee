export { hashPassword, verifyPassword } from './auth/passwords.js';
export { loadUsersFile, UserDirectory } from './auth/users.js';
export { type HubConfig, HubConfigError, loadHubConfig } from './config.js';
export { Hub, type HubOptions } from './hub.js';
export type { InfluxStoreConfig } from './storage/influx.store.js';
export type { TimeSeriesStore } from './storage/time-series-store.js';
