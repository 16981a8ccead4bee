import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { I18nextProvider } from 'react-i18next';
import { App } from './App.js';
import { prefetchBoard } from './api/client.js';
import { SessionProvider } from './auth/session.js';
import { createI18n } from './i18n/i18n.js';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('#root is missing from index.html');
prefetchBoard();
const i18n = createI18n();
createRoot(root).render(
  <StrictMode>
    <I18nextProvider i18n={i18n}>
      <SessionProvider>
        <App />
      </SessionProvider>
    </I18nextProvider>
  </StrictMode>,
);
