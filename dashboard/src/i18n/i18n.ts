import i18next, { type i18n } from 'i18next';
import LanguageDetector from 'i18next-browser-languagedetector';
import { initReactI18next } from 'react-i18next';
import * as energy from '../features/energy/messages.js';
import * as inspections from '../features/inspections/messages.js';
import * as orders from '../features/orders/messages.js';
import * as reports from '../features/reports/messages.js';
import { en } from './en.js';
import { zhCN } from './zh-CN.js';

/** Each feature keeps its messages beside its pages, under its own key (`orders.title`). */
const FEATURES = { orders, inspections, energy, reports };
const featureMessages = (language: 'en' | 'zhCN') =>
  Object.fromEntries(Object.entries(FEATURES).map(([key, set]) => [key, set[language]]));

export const LANGUAGES = [
  { code: 'en', name: 'English' },
  { code: 'zh-CN', name: '中文（简体）' },
] as const;
export type Language = (typeof LANGUAGES)[number]['code'];
/** Where the chosen language is remembered. */
export const LANGUAGE_STORAGE_KEY = 'caretaker.language';

/** Any Chinese browser language gets the simplified Chinese set; anything else English. */
export function supportedLanguage(tag: string): Language {
  return tag.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

/**
 * One i18next instance: language from the remembered choice, else the browser's; messages are
 * bundled (two small sets), so it is ready before the first render.
 */
export function createI18n(): i18n {
  const instance = i18next.createInstance();
  void instance
    .use(LanguageDetector)
    .use(initReactI18next)
    .init({
      resources: {
        en: { translation: { ...en, ...featureMessages('en') } },
        'zh-CN': { translation: { ...zhCN, ...featureMessages('zhCN') } },
      },
      supportedLngs: LANGUAGES.map((l) => l.code),
      fallbackLng: 'en',
      load: 'currentOnly',
      initAsync: false,
      interpolation: { escapeValue: false },
      detection: {
        order: ['localStorage', 'navigator'],
        lookupLocalStorage: LANGUAGE_STORAGE_KEY,
        caches: ['localStorage'],
        convertDetectedLanguage: supportedLanguage,
      },
    });
  const setDocumentLanguage = (lng: string) => {
    document.documentElement.lang = lng;
  };
  setDocumentLanguage(instance.resolvedLanguage ?? 'en');
  instance.on('languageChanged', setDocumentLanguage);
  return instance;
}
