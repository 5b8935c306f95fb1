/** The party a service call acts for; recorded in createdBy / updatedBy. */
export interface Actor {
  /** A user name, or the name of a tool ("cli", "seed-demo"). */
  readonly id: string;
}

/** The single user of a server without access control. */
export const LOCAL_ACTOR: Actor = Object.freeze({ id: 'local' });

