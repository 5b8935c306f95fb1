import type { RouteObject } from 'react-router-dom';
import { EditSpecimenPage, NewSpecimenPage } from '../features/editor/editor-page';
import { LibraryPage } from '../features/library/library-page';
import { SpecimenPage } from '../features/specimen/specimen-page';
import { Layout, NotFoundPage } from './layout';

export const routes: RouteObject[] = [
  {
    path: '/',
    element: <Layout />,
    children: [
      { index: true, element: <LibraryPage /> },
      { path: 'specimens/new', element: <NewSpecimenPage /> },
      { path: 'specimens/:id', element: <SpecimenPage /> },
      { path: 'specimens/:id/edit', element: <EditSpecimenPage /> },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];
