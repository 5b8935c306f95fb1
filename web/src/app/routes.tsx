import type { RouteObject } from 'react-router-dom';
import { ComparisonPage } from '../features/compare/comparison-page';
import { UploadComparePage } from '../features/compare/upload-compare-page';
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
      { path: 'compare', element: <UploadComparePage /> },
      { path: 'comparisons/:id', element: <ComparisonPage /> },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];
