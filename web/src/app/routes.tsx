import { lazy, type ComponentType, type ReactNode } from 'react';
import { Navigate, type RouteObject } from 'react-router-dom';
import { LoginPage } from '../features/auth/login-page';
import { RequirePermission, RequireSession } from '../shared/auth/require-session';
import type { Permission } from '../shared/auth/permissions';
import { Layout, NotFoundPage } from './layout';

/**
 * Each area's pages load when first visited, so a border officer's tablet
 * never downloads the editor or the admin pages. The login page and the
 * shell load at once. (Suspense and a failed load are handled in Layout.)
 */
function lazyPage<M extends Record<string, unknown>, K extends keyof M & string>(load: () => Promise<M>, name: K) {
  return lazy(async () => ({ default: (await load())[name] as ComponentType }));
}

const ComparisonPage = lazyPage(() => import('../features/compare/comparison-page'), 'ComparisonPage');
const ComparisonListPage = lazyPage(() => import('../features/compare/comparison-list-page'), 'ComparisonListPage');
const UploadComparePage = lazyPage(() => import('../features/compare/upload-compare-page'), 'UploadComparePage');
const EditSpecimenPage = lazyPage(() => import('../features/editor/editor-page'), 'EditSpecimenPage');
const NewSpecimenPage = lazyPage(() => import('../features/editor/editor-page'), 'NewSpecimenPage');
const LibraryPage = lazyPage(() => import('../features/library/library-page'), 'LibraryPage');
const RegisterPage = lazyPage(() => import('../features/register/register-page'), 'RegisterPage');
const SpecimenPage = lazyPage(() => import('../features/specimen/specimen-page'), 'SpecimenPage');
const RequestVerificationPage = lazyPage(() => import('../features/verification/request-verification-page'), 'RequestVerificationPage');
const VerificationListPage = lazyPage(() => import('../features/verification/verification-list-page'), 'VerificationListPage');
const VerificationPage = lazyPage(() => import('../features/verification/verification-page'), 'VerificationPage');
const EditAlertPage = lazyPage(() => import('../features/alerts/alert-form-page'), 'EditAlertPage');
const NewAlertPage = lazyPage(() => import('../features/alerts/alert-form-page'), 'NewAlertPage');
const AlertListPage = lazyPage(() => import('../features/alerts/alert-list-page'), 'AlertListPage');
const AlertPage = lazyPage(() => import('../features/alerts/alert-page'), 'AlertPage');
const AdminLayout = lazyPage(() => import('../features/admin/admin-layout'), 'AdminLayout');
const AuditPage = lazyPage(() => import('../features/admin/audit-page'), 'AuditPage');
const PartnersPage = lazyPage(() => import('../features/admin/partners-page'), 'PartnersPage');
const UsersPage = lazyPage(() => import('../features/admin/users-page'), 'UsersPage');
const ExchangePage = lazyPage(() => import('../features/exchange/exchange-page'), 'ExchangePage');
const EditCasePage = lazyPage(() => import('../features/cases/case-form-page'), 'EditCasePage');
const NewCasePage = lazyPage(() => import('../features/cases/case-form-page'), 'NewCasePage');
const CaseListPage = lazyPage(() => import('../features/cases/case-list-page'), 'CaseListPage');
const CasePage = lazyPage(() => import('../features/cases/case-page'), 'CasePage');

const guard = (permission: Permission | Permission[], page: ReactNode) => <RequirePermission permission={permission}>{page}</RequirePermission>;

const CASE_READERS: Permission[] = ['cases:read-all', 'cases:read-assigned'];

const VERIFIERS: Permission[] = ['verification:submit', 'verification:answer'];

export const routes: RouteObject[] = [
  { path: '/login', element: <LoginPage /> },
  {
    path: '/',
    element: (
      <RequireSession>
        <Layout />
      </RequireSession>
    ),
    children: [
      { index: true, element: <LibraryPage /> },
      { path: 'specimens/new', element: guard('specimens:write', <NewSpecimenPage />) },
      { path: 'specimens/:id', element: <SpecimenPage /> },
      { path: 'specimens/:id/edit', element: guard('specimens:write', <EditSpecimenPage />) },
      { path: 'compare', element: guard('comparisons:submit', <UploadComparePage />) },
      { path: 'comparisons', element: guard(['comparisons:read-all', 'comparisons:submit'], <ComparisonListPage />) },
      { path: 'comparisons/:id', element: <ComparisonPage /> },
      { path: 'cases', element: guard(CASE_READERS, <CaseListPage />) },
      { path: 'cases/new', element: guard('cases:manage', <NewCasePage />) },
      { path: 'cases/:id', element: guard(CASE_READERS, <CasePage />) },
      { path: 'cases/:id/edit', element: guard('cases:manage', <EditCasePage />) },
      { path: 'alerts', element: guard('alerts:read', <AlertListPage />) },
      { path: 'alerts/new', element: guard('alerts:draft', <NewAlertPage />) },
      { path: 'alerts/:id', element: guard('alerts:read', <AlertPage />) },
      { path: 'alerts/:id/edit', element: guard('alerts:draft', <EditAlertPage />) },
      { path: 'register', element: guard('register:read', <RegisterPage />) },
      { path: 'verification', element: guard(VERIFIERS, <VerificationListPage />) },
      { path: 'verification/new', element: guard('verification:submit', <RequestVerificationPage />) },
      { path: 'verification/:id', element: guard(VERIFIERS, <VerificationPage />) },
      { path: 'exchange', element: guard(['exchange:export', 'exchange:import'], <ExchangePage />) },
      {
        path: 'admin',
        element: guard('users:manage', <AdminLayout />),
        children: [
          { index: true, element: <Navigate to="/admin/users" replace /> },
          { path: 'users', element: <UsersPage /> },
          { path: 'partners', element: <PartnersPage /> },
          { path: 'audit', element: <AuditPage /> },
        ],
      },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];
