/**
 * The party a service call acts for. Services record it (createdBy,
 * updatedBy, the audit trail) and decide with it what is allowed
 * (auth/policy.ts) — authorisation lives in the services, so the API, the
 * CLI and the workers obey the same rules.
 */
export const ROLES = ['admin', 'examiner', 'border-officer', 'prosecutor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface Actor {
  /** A user name, or the name of a tool ("cli", "seed-demo", "worker"). */
  readonly id: string;
  /** A user's role; `system` for the server's own tools run by the operator (CLI, workers, demo seeding), which may do anything. */
  readonly role: Role | 'system';
  /** The HTTP request this call serves, recorded in the audit trail. */
  readonly requestId?: string;
}

export const systemActor = (id: string): Actor => Object.freeze({ id, role: 'system' as const });

/** The operator at the console: CLI commands and tests of services below the HTTP layer. */
export const LOCAL_ACTOR: Actor = systemActor('local');
