import { errorMessage, isApiError } from '../api/client';

/** What the login form says about a refused login. */
export function loginFailureMessage(err: unknown): string {
  if (isApiError(err, 'RATE_LIMITED')) {
    const seconds = Number(err.details['retryAfterSeconds']);
    const wait = Number.isFinite(seconds) && seconds > 0 ? waitText(seconds) : 'a while';
    return `Too many failed attempts: logging in is locked for this account or this computer. Try again in ${wait}.`;
  }
  if (isApiError(err, 'UNAUTHENTICATED')) return 'Wrong user name or password (or the account is disabled).';
  if (isApiError(err, 'VALIDATION_FAILED')) return 'Enter your user name and password.';
  return `Logging in failed: ${errorMessage(err)}`;
}

function waitText(seconds: number): string {
  if (seconds < 90) return `${Math.ceil(seconds)} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}
