import type { ErrorResponse } from '@caretaker/protocol';
import type { Response } from 'express';
import type { z } from 'zod';

/** Every API error has one shape: `{ "error": "field: what is wrong" }`. */
export function sendError(res: Response, status: number, error: string): void {
  res.status(status).json({ error } satisfies ErrorResponse);
}

/** The first validation problem, named by its field (or by where the input came from). */
export function firstIssue(error: z.ZodError, where: 'query' | 'body' = 'query'): string {
  const issue = error.issues[0];
  return `${issue?.path.join('.') || where}: ${issue?.message ?? 'invalid'}`;
}
