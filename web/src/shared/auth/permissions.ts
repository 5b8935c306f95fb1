/**
 * What the logged-in user may use, for showing only the navigation and actions
 * they can act on. The server's policy table (server/src/auth/policy.ts)
 * decides, enforces it in its services, and sends the user's permissions with
 * the session; the names below only type them.
 */
export const ROLES = ['admin', 'examiner', 'border-officer', 'prosecutor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export type Permission =
  | 'specimens:read'
  | 'specimens:write'
  | 'images:read-original'
  | 'comparisons:submit'
  | 'comparisons:read-all'
  | 'comparisons:manage'
  | 'identify'
  | 'mrz'
  | 'cases:manage'
  | 'cases:read-assigned'
  | 'cases:read-all'
  | 'exhibits:read'
  | 'alerts:read'
  | 'alerts:draft'
  | 'alerts:approve'
  | 'verification:submit'
  | 'verification:answer'
  | 'register:read'
  | 'register:write'
  | 'exchange:export'
  | 'exchange:import'
  | 'partners:manage'
  | 'users:manage'
  | 'audit:read';

/** Whether the logged-in user may use something: the server sends the role's permissions with the session (auth/policy.ts there is the only table). */
export function userCan(user: { permissions: readonly Permission[] }, permission: Permission): boolean {
  return user.permissions.includes(permission);
}

const ROLE_LABELS: Record<Role, string> = {
  admin: 'Administrator',
  examiner: 'Examiner',
  'border-officer': 'Border officer',
  prosecutor: 'Prosecutor',
  viewer: 'Viewer',
};
export const roleLabel = (role: string) => ROLE_LABELS[role as Role] ?? role;
