// mailauth's streaming relaxed body canonicalizer: test/unit/compose.test.ts compares
// src/mail/dkim.ts's relaxedBody with it. It has no type declarations of its own; mailauth is
// pinned to 4.13.x.
declare module 'mailauth/lib/dkim/body/relaxed.js' {
  const m: {
    RelaxedHash: new (algorithm: string) => { update(chunk: Buffer): void; digest(encoding: 'base64'): string };
  };
  export default m;
}
