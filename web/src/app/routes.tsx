import type { ReactNode } from 'react';
import { Navigate, type RouteObject } from 'react-router-dom';
import { ComparisonPage } from '../features/compare/comparison-page';
import { UploadComparePage } from '../features/compare/upload-compare-page';
import { EditSpecimenPage, NewSpecimenPage } from '../features/editor/editor-page';
import { LibraryPage } from '../features/library/library-page';
import { RegisterPage } from '../features/register/register-page';
import { SpecimenPage } from '../features/specimen/specimen-page';
import { RequestVerificationPage } from '../features/verification/request-verification-page';
import { VerificationListPage } from '../features/verification/verification-list-page';
import { VerificationPage } from '../features/verification/verification-page';
import { EditAlertPage, NewAlertPage } from '../features/alerts/alert-form-page';
import { AlertListPage } from '../features/alerts/alert-list-page';
import { AlertPage } from '../features/alerts/alert-page';
import { AdminLayout } from '../features/admin/admin-layout';
import { AuditPage } from '../features/admin/audit-page';
import { PartnersPage } from '../features/admin/partners-page';
import { UsersPage } from '../features/admin/users-page';
import { LoginPage } from '../features/auth/login-page';
import { ExchangePage } from '../features/exchange/exchange-page';
import { EditCasePage, NewCasePage } from '../features/cases/case-form-page';
import { CaseListPage } from '../features/cases/case-list-page';
import { CasePage } from '../features/cases/case-page';
import { RequirePermission, RequireSession } from '../shared/auth/require-session';
import type { Permission } from '../shared/auth/permissions';
import { Layout, NotFoundPage } from './layout';

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
