/**
 * Typed errors with stable codes. Branch on `code`, never on `instanceof` (a duplicate install
 * of this package would break `instanceof`). Messages are one line: member, cause, hint.
 * Only the CLI maps codes to exit statuses (see `exitCodeOf`).
 */
export type ErrorCode =
  | 'E_USAGE'
  | 'E_PASSPHRASE'
  | 'E_AUTH'
  | 'E_CORRUPT'
  | 'E_UNSUPPORTED'
  | 'E_UNSAFE_PATH'
  | 'E_IO'
  | 'E_DISK_FULL'
  | 'E_EXISTS';

interface ErrorDetails {
  /** The archive member (outer or inner name) the error is about, when there is one. */
  member?: string;
  cause?: unknown;
}

export class QubesBackupError extends Error {
  static override readonly name: string = 'QubesBackupError';
  readonly code: ErrorCode;
  readonly member?: string;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(details.member !== undefined ? `${details.member}: ${message}` : message, { cause: details.cause });
    this.name = 'QubesBackupError';
    this.code = code;
    if (details.member !== undefined) this.member = details.member;
  }
}

/** The passphrase does not open the backup (header MAC or scrypt header HMAC mismatch). */
export class WrongPassphraseError extends QubesBackupError {
  static override readonly name = 'WrongPassphraseError';
  constructor(message: string, details?: ErrorDetails) {
    super('E_PASSPHRASE', message, details);
    this.name = 'WrongPassphraseError';
  }
}

/** Bytes were modified: a MAC over data that the passphrase did open does not verify. */
export class AuthenticationError extends QubesBackupError {
  static override readonly name = 'AuthenticationError';
  constructor(message: string, details?: ErrorDetails) {
    super('E_AUTH', message, details);
    this.name = 'AuthenticationError';
  }
}

/** Structure is broken: truncated, malformed, missing or out-of-order members. */
export class CorruptBackupError extends QubesBackupError {
  static override readonly name = 'CorruptBackupError';
  constructor(message: string, details?: ErrorDetails) {
    super('E_CORRUPT', message, details);
    this.name = 'CorruptBackupError';
  }
}

/** A version, filter, cipher or digest that no registered plugin handles. */
export class UnsupportedError extends QubesBackupError {
  static override readonly name = 'UnsupportedError';
  constructor(message: string, details?: ErrorDetails) {
    super('E_UNSUPPORTED', message, details);
    this.name = 'UnsupportedError';
  }
}

/** A name that would escape the destination, or write through a link. */
export class UnsafePathError extends QubesBackupError {
  static override readonly name = 'UnsafePathError';
  constructor(message: string, details?: ErrorDetails) {
    super('E_UNSAFE_PATH', message, details);
    this.name = 'UnsafePathError';
  }
}

/** Reading the source or writing the destination failed (not the backup's fault). */
export class IoError extends QubesBackupError {
  static override readonly name = 'IoError';
  constructor(message: string, details?: ErrorDetails, code: 'E_IO' | 'E_DISK_FULL' | 'E_EXISTS' = 'E_IO') {
    super(code, message, details);
    this.name = 'IoError';
  }
}

/** A wrong call: bad arguments or options. */
export class UsageError extends QubesBackupError {
  static override readonly name = 'UsageError';
  constructor(message: string, details?: ErrorDetails) {
    super('E_USAGE', message, details);
    this.name = 'UsageError';
  }
}

export function isQubesBackupError(e: unknown): e is QubesBackupError {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string'
    && String((e as { code: string }).code).startsWith('E_') && e instanceof Error;
}

/** The same error naming `member`, unless it already names one; non-library errors become IoError or stay as they are. */
export function withMember(e: unknown, member: string): unknown {
  if (!isQubesBackupError(e) || e.member !== undefined) return e;
  const copy = new QubesBackupError(e.code, e.message, { member, cause: e.cause });
  copy.name = e.name;
  Object.setPrototypeOf(copy, Object.getPrototypeOf(e));
  return copy;
}
