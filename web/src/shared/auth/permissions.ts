/**
 * What each role may use, for showing only the navigation and actions a user
 * can act on. The server enforces the same table (server/src/auth/policy.ts)
 * in its services; this copy only decides what the UI offers, so a drift
 * shows a control the API then refuses (403), never grants anything.
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

const EXAMINER: readonly Permission[] = [
  'specimens:read',
  'specimens:write',
  'images:read-original',
  'comparisons:submit',
  'comparisons:read-all',
  'comparisons:manage',
  'identify',
  'mrz',
  'cases:manage',
  'cases:read-all',
  'exhibits:read',
  'alerts:read',
  'alerts:draft',
  'alerts:approve',
  'verification:submit',
  'verification:answer',
  'register:read',
  'register:write',
  'exchange:export',
  'exchange:import',
];

const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  admin: new Set<Permission>([...EXAMINER, 'partners:manage', 'users:manage', 'audit:read']),
  examiner: new Set<Permission>(EXAMINER),
  'border-officer': new Set<Permission>([
    'specimens:read',
    'images:read-original',
    'comparisons:submit',
    'identify',
    'mrz',
    'alerts:read',
    'verification:submit',
    'register:read',
  ]),
  prosecutor: new Set<Permission>(['specimens:read', 'images:read-original', 'cases:read-assigned', 'exhibits:read']),
  viewer: new Set<Permission>(['specimens:read', 'alerts:read']),
};

export function roleCan(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role]?.has(permission) ?? false;
}

const ROLE_LABELS: Record<Role, string> = {
  admin: 'Administrator',
  examiner: 'Examiner',
  'border-officer': 'Border officer',
  prosecutor: 'Prosecutor',
  viewer: 'Viewer',
};
export const roleLabel = (role: string) => ROLE_LABELS[role as Role] ?? role;
