import type { MessagesOf } from '../../i18n/messages.js';

/** English messages of this feature (the reference set), under the i18n key `reports.`. */
export const en = {
  title: 'Failures & maintenance',
};

/** 简体中文. */
export const zhCN: MessagesOf<typeof en> = {
  title: '故障与维修',
};
