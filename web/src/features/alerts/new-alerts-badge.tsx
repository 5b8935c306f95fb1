import { useEffect } from 'react';
import { useLocation } from 'react-router-dom';
import { useApi } from '../../shared/api/api-context';
import { useResource } from '../../shared/api/use-resource';
import { useUser } from '../../shared/auth/session';
import { countNewAlerts } from './api';

const REFRESH_MS = 2 * 60_000;

/** "3 new" beside Alerts in the navigation: alerts published since this user last opened the alerts in this browser. */
export function NewAlertsBadge() {
  const api = useApi();
  const user = useUser();
  const { pathname } = useLocation();
  // Counted again on every page change, so the badge clears once the alerts have been seen.
  const count = useResource(`${user.username}|${pathname}`, (signal) => countNewAlerts(api, user.username, signal));
  // A border post may leave one page open for hours: look again now and then.
  const { reload } = count;
  useEffect(() => {
    const timer = setInterval(reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);
  const n = count.data ?? 0;
  if (n === 0 || pathname === '/alerts') return null;
  return (
    <span className="nav-badge" aria-label={`${n} new`}>
      {n} new
    </span>
  );
}
