import { installPrecompiledValidators } from '@exemplar/specimens-schema';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import validators from 'virtual:schema-validators';
import { App } from './app/app';
import './app/styles.css';

// The Content-Security-Policy forbids eval, so the schemas' validators come compiled from the build.
installPrecompiledValidators(validators);

const root = document.getElementById('root');
if (!root) throw new Error('index.html lacks #root');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
