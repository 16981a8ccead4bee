import i18next, { type i18n } from 'i18next';
import LanguageDetector from 'i18next-browser-languagedetector';
import { initReactI18next, useTranslation } from 'react-i18next';
import { en } from './en.js';
import { zhCN } from './zh-CN.js';

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
        en: { translation: en },
        'zh-CN': { translation: zhCN },
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

/** A feature's messages in both languages (features/<name>/messages.ts). */
export interface FeatureMessages {
  en: object;
  zhCN: object;
}

/**
 * Adds a feature's messages under its key (`orders.title`) the first time one of its pages
 * renders: they travel in the feature's own lazily loaded chunk, so the wall screen's first load
 * carries only the board's. Synchronous, so the page's own `t` calls already find them.
 */
export function useFeatureMessages(key: string, messages: FeatureMessages): void {
  const { i18n } = useTranslation();
  if (i18n.hasResourceBundle('en', 'translation') && i18n.exists(`${key}.title`, { lng: 'en' })) return;
  i18n.addResourceBundle('en', 'translation', { [key]: messages.en }, true, false);
  i18n.addResourceBundle('zh-CN', 'translation', { [key]: messages.zhCN }, true, false);
}
