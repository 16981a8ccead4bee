import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileTypeFromBuffer } from 'file-type';

/**
 * Photo bytes on disk (DATA_DIR/attachments/<random key>); the metadata lives in the database.
 * The type is read from the bytes themselves, never from what the client claims, so a file
 * served back as an image is one.
 */
export const ATTACHMENT_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export type AttachmentType = (typeof ATTACHMENT_TYPES)[number];

/** 10 MB: a phone photo at full resolution. */
export const DEFAULT_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

const KEY = /^[0-9a-f]{32}$/;

/** "10 MB", "64 KB": a limit as people say it. */
export function sizeText(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MB` : `${Math.round(bytes / 1024)} KB`;
}

export interface StoredFile {
  key: string;
  contentType: AttachmentType;
  size: number;
  sha256: string;
}

export class UnsupportedFileError extends Error {}

export class AttachmentStore {
  readonly dir: string;

  constructor(
    dataDir: string,
    readonly maxBytes = DEFAULT_MAX_ATTACHMENT_BYTES,
  ) {
    this.dir = join(dataDir, 'attachments');
    mkdirSync(this.dir, { recursive: true });
  }

  /** Stores an image; refuses anything that is not JPEG, PNG or WebP by its content. */
  async put(bytes: Uint8Array): Promise<StoredFile> {
    if (bytes.byteLength > this.maxBytes) {
      throw new UnsupportedFileError(`larger than ${sizeText(this.maxBytes)}`);
    }
    const type = await fileTypeFromBuffer(bytes);
    const contentType = ATTACHMENT_TYPES.find((t) => t === type?.mime);
    if (!contentType) throw new UnsupportedFileError('must be a JPEG, PNG or WebP image');
    const key = randomBytes(16).toString('hex');
    await writeFile(join(this.dir, key), bytes, { flag: 'wx', mode: 0o640 });
    return {
      key,
      contentType,
      size: bytes.byteLength,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    };
  }

  /** Deletes a file nobody will need (a rejected report's photo). */
  async remove(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  /** The file of a key (keys are ours: random hex, never a path from outside). */
  pathOf(key: string): string {
    if (!KEY.test(key)) throw new Error(`not an attachment key: ${key}`);
    return join(this.dir, key);
  }
}
