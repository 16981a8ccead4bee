import type { MessagesOf } from '../../i18n/messages.js';

/** English messages of this feature (the reference set), under the i18n key `orders.`. */
export const en = {
  title: 'Work orders',
};

/** 简体中文. */
export const zhCN: MessagesOf<typeof en> = {
  title: '工单',
};
