/**
 * Records keyed by names read from qubes.xml. A plain assignment of `__proto__` would change the
 * prototype (or be dropped) instead of storing a key, so keys are defined as own properties.
 */
export function setOwn<V>(record: Record<string, V>, key: string, value: V): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

export function hasOwn(record: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(record, key);
}

/** Removes `key` and returns its value, like Python's `dict.pop(key, default)`. */
export function popOwn<V, D>(record: Record<string, V>, key: string, fallback: D): V | D {
  if (!hasOwn(record, key)) return fallback;
  const value = record[key] as V;
  delete record[key];
  return value;
}
