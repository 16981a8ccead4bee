import type { MessagesOf } from '../../i18n/messages.js';

/** English messages of this feature (the reference set), under the i18n key `inspections.`. */
export const en = {
  title: 'Inspections',
};

/** 简体中文. */
export const zhCN: MessagesOf<typeof en> = {
  title: '巡检',
};
