import { NavLink, Outlet } from 'react-router-dom';

/** The admin area: its sections as tabs above the page. */
export function AdminLayout() {
  return (
    <div className="page admin">
      <header className="page-head">
        <h1>Administration</h1>
      </header>
      <nav aria-label="Administration" className="tabs">
        <NavLink to="/admin/users">Users</NavLink>
        <NavLink to="/admin/partners">Partner keys</NavLink>
        <NavLink to="/admin/audit">Audit log</NavLink>
      </nav>
      <Outlet />
    </div>
  );
}
