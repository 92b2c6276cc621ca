// Opaque pagination cursors: base64url JSON, validated on the way back in.
import { TandemError } from '../../errors.ts';

export interface CursorPosition {
  t: string;
  id: string;
}

export function encodeCursor(pos: CursorPosition): string {
  return Buffer.from(JSON.stringify(pos)).toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      v &&
      typeof v === 'object' &&
      typeof (v as CursorPosition).t === 'string' &&
      typeof (v as CursorPosition).id === 'string'
    ) {
      return v as CursorPosition;
    }
  } catch {
    // fall through to the error below
  }
  throw new TandemError('INVALID_CURSOR', 400, 'The cursor is not valid');
}
