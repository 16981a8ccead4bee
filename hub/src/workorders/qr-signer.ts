import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import QRCode from 'qrcode';

/**
 * Printed QR codes point at `/r/<device>?s=<signature>`: an HMAC-SHA256 of the device id under
 * a secret made on first run in DATA_DIR (never in the repository), so nobody can print a
 * working code for an id the hub did not issue one for. Replacing the secret file voids every
 * printed code.
 */
const SECRET_FILE = 'qr-secret';
/** 128 bits of the MAC, base64url: short enough for a small code, far from guessable. */
const SIGNATURE_CHARS = 22;

export class QrSigner {
  private constructor(private readonly secret: Buffer) {}

  /** Reads DATA_DIR/qr-secret, creating it (32 random bytes, owner-only) on first run. */
  static open(dataDir: string): QrSigner {
    mkdirSync(dataDir, { recursive: true });
    const file = join(dataDir, SECRET_FILE);
    try {
      writeFileSync(file, randomBytes(32).toString('hex'), { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const hex = readFileSync(file, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`${file}: not a QR secret (64 hex digits)`);
    return new QrSigner(Buffer.from(hex, 'hex'));
  }

  sign(device: string): string {
    return createHmac('sha256', this.secret)
      .update(`caretaker-qr-v1:${device}`)
      .digest('base64url')
      .slice(0, SIGNATURE_CHARS);
  }

  verify(device: string, signature: string): boolean {
    const expected = Buffer.from(this.sign(device));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** The report URL printed in the code, under the hub's public address. */
  reportUrl(baseUrl: string, device: string): string {
    return `${baseUrl.replace(/\/+$/, '')}/r/${encodeURIComponent(device)}?s=${this.sign(device)}`;
  }
}

/** A printable code: SVG scales to any label size; PNG for tools that want pixels. */
export async function qrImage(url: string, format: 'svg' | 'png'): Promise<string | Buffer> {
  // Level M (15 % recovery) survives a scuffed label on a pump-room wall.
  if (format === 'svg') return QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return QRCode.toBuffer(url, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: 512 });
}
