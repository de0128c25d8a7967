/**
 * A module (or anything costly) loaded on first use and kept: for the parts a process may never
 * need, such as the mail parser and authenticator in the main thread, which the inbound threads
 * carry instead.
 */
export function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    loaded ??= load();
    return loaded;
  };
}
