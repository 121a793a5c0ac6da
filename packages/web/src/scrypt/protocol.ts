/** What the page asks a scrypt worker: one derivation. */
export interface DeriveRequest {
  readonly id: number;
  readonly pass: Uint8Array;
  readonly salt: Uint8Array;
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly dkLen: number;
}

/** The derived key (its buffer transferred, not copied), how long it took and with what, or why it failed. */
export type DeriveReply =
  | { readonly id: number; readonly key: Uint8Array; readonly ms: number; readonly engine: 'wasm' | 'js' }
  | { readonly id: number; readonly error: string };
