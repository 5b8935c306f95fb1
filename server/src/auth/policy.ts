/**
 * Who may do what. One table of role → permissions and the classification
 * levels each role may see; services call `assertCan` / `canSee` before they
 * act, so every entry point (HTTP, CLI, workers) is held to the same rules.
 *
 * Reads that a role may not make answer as if the thing did not exist
 * (`hideAs` → NOT_FOUND) where existence itself would leak (a confidential
 * specimen, someone else's comparison); writes answer FORBIDDEN.
 */
import type { Classification } from '@exemplar/specimens-schema';
import { ExemplarError } from '../errors';
import type { Actor, Role } from '../services/actor';

export const PERMISSIONS = [
  'specimens:read',
  'specimens:write',
  'images:read-original',
  'comparisons:submit',
  /** Every comparison, not only one's own submissions. */
  'comparisons:read-all',
  'comparisons:manage',
  'identify',
  'mrz',
  'cases:manage',
  /** Cases the actor is assigned to (prosecutors). */
  'cases:read-assigned',
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
  'partners:manage',
  'users:manage',
  'audit:read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

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

export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
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

/** Reading cases: every one, or those one is assigned to (prosecutors). */
export const READ_CASES = ['cases:read-all', 'cases:read-assigned'] as const satisfies readonly Permission[];
/** Reading comparisons: every one, or one's own submissions. */
export const READ_COMPARISONS = ['comparisons:read-all', 'comparisons:submit'] as const satisfies readonly Permission[];
/** Verification requests: examiners answer them, submitters follow their own. */
export const USE_VERIFICATION = ['verification:answer', 'verification:submit'] as const satisfies readonly Permission[];
/** The lab's public key: for exporting packages, or for showing it to partners. */
export const READ_LAB_KEY = ['exchange:export', 'partners:manage'] as const satisfies readonly Permission[];

/** The specimen classifications each role may see at all. */
export const ROLE_CLASSIFICATIONS: Readonly<Record<Role, readonly Classification[]>> = {
  admin: ['public', 'restricted', 'confidential'],
  examiner: ['public', 'restricted', 'confidential'],
  'border-officer': ['public', 'restricted'],
  prosecutor: ['public', 'restricted'],
  viewer: ['public'],
};

const ALL_CLASSIFICATIONS: readonly Classification[] = ['public', 'restricted', 'confidential'];

/** Every permission of a role, in the order of PERMISSIONS (what the web app is told, so it keeps no copy of the table). */
export function permissionsOf(role: Role): Permission[] {
  return PERMISSIONS.filter((p) => ROLE_PERMISSIONS[role].has(p));
}

export function can(actor: Actor, permission: Permission): boolean {
  return actor.role === 'system' || ROLE_PERMISSIONS[actor.role].has(permission);
}

/** FORBIDDEN unless the actor holds the permission (given several: at least one of them). */
export function assertCan(actor: Actor, permission: Permission | readonly Permission[]): void {
  const anyOf: readonly Permission[] = typeof permission === 'string' ? [permission] : permission;
  if (!anyOf.some((p) => can(actor, p))) {
    throw new ExemplarError('FORBIDDEN', `your role (${actor.role}) may not do this`, { permission: anyOf.length === 1 ? anyOf[0] : anyOf });
  }
}

/** The classifications the actor may see (for search filters). */
export function visibleClassifications(actor: Actor): readonly Classification[] {
  return actor.role === 'system' ? ALL_CLASSIFICATIONS : ROLE_CLASSIFICATIONS[actor.role];
}

export function canSee(actor: Actor, classification: Classification | undefined): boolean {
  return visibleClassifications(actor).includes(classification ?? 'public');
}
