import { createRequire } from 'node:module';

/** The package's version: read from package.json, from src/ under vitest and from dist/src/ when built. */
export const VERSION = (() => {
  const req = createRequire(import.meta.url);
  for (const p of ['../package.json', '../../package.json']) {
    try {
      const pkg = req(p) as { name?: string; version: string };
      if (pkg.name === 'threadline') return pkg.version;
    } catch {
      /* try the next */
    }
  }
  return '0.0.0';
})();
