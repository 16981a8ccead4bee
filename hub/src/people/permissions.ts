import type { Actor, ActorRole } from './actor.js';

/**
 * What each role may do, coarsely: the dashboard shows or hides actions by it (GET
 * /api/auth/me) and routes check it. Work-order transitions are checked finer by the lifecycle's
 * transition table; this list names the capability behind them. Always within the actor's sites.
 */
export const PERMISSIONS = [
  'orders.read',
  'orders.create',
  'orders.accept',
  'orders.dispatch',
  'orders.grab',
  'orders.work',
  'orders.check',
  'orders.close',
  'orders.approve_deferral',
  'orders.cancel',
  'orders.rate',
  'qr_reports.review',
  'plans.manage',
  'parts.use',
  'parts.manage',
  'reports.read',
  'maintenance_windows.manage',
  'alarms.acknowledge',
  'webhooks.manage',
  'users.read',
  'users.manage',
  'sites.manage',
  'tokens.own',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const ROLE_PERMISSIONS: Record<ActorRole, readonly Permission[]> = {
  admin: PERMISSIONS,
  supervisor: [
    'orders.read',
    'orders.create',
    'orders.accept',
    'orders.dispatch',
    'orders.work',
    'orders.check',
    'orders.close',
    'orders.approve_deferral',
    'orders.cancel',
    'orders.rate',
    'qr_reports.review',
    'plans.manage',
    'parts.use',
    'parts.manage',
    'reports.read',
    'maintenance_windows.manage',
    'alarms.acknowledge',
    'users.read',
    'tokens.own',
  ],
  technician: [
    'orders.read',
    'orders.create',
    'orders.grab',
    'orders.work',
    'parts.use',
    'alarms.acknowledge',
    'tokens.own',
  ],
  reviewer: [
    'orders.read',
    'orders.check',
    'orders.close',
    'qr_reports.review',
    'reports.read',
    'tokens.own',
  ],
  requester: ['orders.read', 'orders.create', 'orders.rate', 'tokens.own'],
  viewer: ['orders.read', 'reports.read', 'tokens.own'],
  // Machines: a gateway only publishes over MQTT; the hub itself may do anything.
  gateway: [],
  system: PERMISSIONS,
};

export function permissionsOf(role: ActorRole): readonly Permission[] {
  return ROLE_PERMISSIONS[role];
}

export function may(actor: Actor, permission: Permission): boolean {
  return ROLE_PERMISSIONS[actor.role].includes(permission);
}
