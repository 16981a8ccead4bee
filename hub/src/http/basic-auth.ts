import type { NextFunction, Request, Response } from 'express';

/** Parses an `Authorization: Basic ...` header (RFC 7617). */
export function parseBasicAuth(header: string | undefined): { username: string; password: string } | null {
  if (!header?.startsWith('Basic ')) return null;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Express middleware: HTTP Basic authentication against `authorize`. */
export function basicAuth(authorize: (header: string | undefined) => Promise<boolean>) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (await authorize(req.headers.authorization)) return next();
    res.setHeader('WWW-Authenticate', 'Basic realm="Caretaker", charset="UTF-8"');
    res.status(401).json({ error: 'authentication required' });
  };
}
