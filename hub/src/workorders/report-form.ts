import escapeHtml from 'escape-html';

/**
 * The page a QR code opens: a small form anybody can fill in on a phone, no login, no script.
 * Chinese or English by the browser's Accept-Language.
 */
export type FormLanguage = 'zh-CN' | 'en';

const TEXT = {
  'zh-CN': {
    title: '设备报修',
    device: '设备',
    name: '您的姓名',
    phone: '联系电话',
    description: '问题描述',
    placeholder: '请描述您看到的问题（声音、漏水、停止运行……）',
    photo: '照片（可选）',
    submit: '提交报修',
    thanks: '已收到您的报修',
    thanksBody: '工程部审核后会安排维修。报修编号：',
    invalid: '此二维码无效',
    invalidBody: '请联系物业服务中心，或扫描设备上最新的二维码。',
    error: '提交失败',
    back: '请返回上一页修改后重新提交。',
  },
  en: {
    title: 'Report a fault',
    device: 'Device',
    name: 'Your name',
    phone: 'Phone',
    description: 'What is wrong',
    placeholder: 'What did you notice (noise, a leak, it stopped…)',
    photo: 'Photo (optional)',
    submit: 'Send report',
    thanks: 'Thank you, your report is in',
    thanksBody: 'The engineering team reviews it and sends someone. Report number: ',
    invalid: 'This code is not valid',
    invalidBody: 'Please call the property service desk, or scan the current code on the device.',
    error: 'The report was not sent',
    back: 'Go back, correct it and send it again.',
  },
} as const;

const STYLE = `body{font-family:system-ui,sans-serif;margin:0;padding:1rem;max-width:32rem;margin-inline:auto;
color:#1b1f24}h1{font-size:1.4rem}label{display:block;margin-top:1rem;font-weight:600}
input,textarea{width:100%;box-sizing:border-box;font-size:1rem;padding:.5rem;margin-top:.25rem}
textarea{min-height:7rem}button{margin-top:1.5rem;width:100%;font-size:1.1rem;padding:.75rem;
background:#1f6feb;color:#fff;border:0;border-radius:.4rem}.device{color:#57606a}`;

function page(lang: FormLanguage, title: string, body: string): string {
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>${body}</body></html>
`;
}

export function reportFormPage(lang: FormLanguage, device: string, signature: string): string {
  const t = TEXT[lang];
  const d = escapeHtml(device);
  return page(
    lang,
    t.title,
    `<h1>${t.title}</h1>
<p class="device">${t.device}: <strong>${d}</strong></p>
<form method="post" action="/api/public/reports" enctype="multipart/form-data">
<input type="hidden" name="device" value="${d}">
<input type="hidden" name="s" value="${escapeHtml(signature)}">
<label for="name">${t.name}</label><input id="name" name="name" required maxlength="64" autocomplete="name">
<label for="phone">${t.phone}</label><input id="phone" name="phone" type="tel" required maxlength="32" autocomplete="tel">
<label for="description">${t.description}</label>
<textarea id="description" name="description" required maxlength="2000" placeholder="${t.placeholder}"></textarea>
<label for="photo">${t.photo}</label><input id="photo" name="photo" type="file" accept="image/jpeg,image/png,image/webp" capture="environment">
<button type="submit">${t.submit}</button>
</form>`,
  );
}

export function reportThanksPage(lang: FormLanguage, reportId: number): string {
  const t = TEXT[lang];
  return page(lang, t.thanks, `<h1>${t.thanks}</h1><p>${t.thanksBody}<strong>${reportId}</strong></p>`);
}

export function invalidCodePage(lang: FormLanguage): string {
  const t = TEXT[lang];
  return page(lang, t.invalid, `<h1>${t.invalid}</h1><p>${t.invalidBody}</p>`);
}

export function reportErrorPage(lang: FormLanguage, message: string): string {
  const t = TEXT[lang];
  return page(lang, t.error, `<h1>${t.error}</h1><p>${escapeHtml(message)}</p><p>${t.back}</p>`);
}
