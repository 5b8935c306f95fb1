import type { RouteObject } from 'react-router-dom';
import { LibraryPage } from '../features/library/library-page';
import { SpecimenPage } from '../features/specimen/specimen-page';
import { Layout, NotFoundPage } from './layout';

export const routes: RouteObject[] = [
  {
    path: '/',
    element: <Layout />,
    children: [
      { index: true, element: <LibraryPage /> },
      { path: 'specimens/:id', element: <SpecimenPage /> },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];
