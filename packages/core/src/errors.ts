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

/**
 * A subclass of QubesBackupError for one code, its `name` set statically and on each instance (so
 * a check by name survives a duplicate install of this package).
 */
function errorClass<N extends string>(name: N, code: ErrorCode) {
  return class extends QubesBackupError {
    static override readonly name: N = name;
    constructor(message: string, details?: ErrorDetails) {
      super(code, message, details);
      this.name = name;
    }
  };
}

/**
 * The errors by cause, one code each:
 * - `WrongPassphraseError` (E_PASSPHRASE): the passphrase does not open the backup (header MAC or scrypt header HMAC mismatch).
 * - `AuthenticationError` (E_AUTH): bytes were modified: a MAC over data that the passphrase did open does not verify.
 * - `CorruptBackupError` (E_CORRUPT): structure is broken: truncated, malformed, missing or out-of-order members.
 * - `UnsupportedError` (E_UNSUPPORTED): a version, filter, cipher or digest that no registered plugin handles.
 * - `UnsafePathError` (E_UNSAFE_PATH): a name that would escape the destination, or write through a link.
 * - `UsageError` (E_USAGE): a wrong call: bad arguments or options.
 */
export const WrongPassphraseError = errorClass('WrongPassphraseError', 'E_PASSPHRASE'), AuthenticationError = errorClass('AuthenticationError', 'E_AUTH'),
  CorruptBackupError = errorClass('CorruptBackupError', 'E_CORRUPT'), UnsupportedError = errorClass('UnsupportedError', 'E_UNSUPPORTED'),
  UnsafePathError = errorClass('UnsafePathError', 'E_UNSAFE_PATH'), UsageError = errorClass('UsageError', 'E_USAGE');
export type WrongPassphraseError = InstanceType<typeof WrongPassphraseError>;
export type AuthenticationError = InstanceType<typeof AuthenticationError>;
export type CorruptBackupError = InstanceType<typeof CorruptBackupError>;
export type UnsupportedError = InstanceType<typeof UnsupportedError>;
export type UnsafePathError = InstanceType<typeof UnsafePathError>;
export type UsageError = InstanceType<typeof UsageError>;

/** Reading the source or writing the destination failed (not the backup's fault): also disk full and existing files. */
export class IoError extends QubesBackupError {
  static override readonly name = 'IoError';
  constructor(message: string, details?: ErrorDetails, code: 'E_IO' | 'E_DISK_FULL' | 'E_EXISTS' = 'E_IO') {
    super(code, message, details);
    this.name = 'IoError';
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
